/**
 * What a person's terminal shows, as opposed to batch output: long data cut to
 * `set display-limit`, tables fitted to the width, and the wrong behaviours issue 12 found in
 * close, ls and record.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { renderResult } from "../shell/renderer.ts";
import { parseRendered } from "../grammar/render.ts";
import { as, sockit } from "./_helpers.ts";

const TERMINAL = { columns: 80 };

async function connectedPair(shell: Shell): Promise<void> {
  const srv = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket");
  await shell.execute(`open tcp a ${srv.info.local}`);
  await shell.execute("accept srv");
}

Deno.test("a terminal shows at most display-limit bytes and says how many it left out", async () => {
  await using shell = new Shell();
  await connectedPair(shell);
  await shell.execute(`send a hex:${"00ff".repeat(5000)}`);
  const got = as(await shell.execute("recvexact srv.1 10000"), "data");
  const shown = renderResult(got, shell.settings, undefined, TERMINAL).split("\n");
  assertEquals(
    shown.at(-1),
    "… 5904 more bytes not shown (10000 received); --all shows every byte, set display-limit 0 always does",
  );
  assertEquals(parseRendered(shown.slice(0, -1).join("\n")).length, 4096);
  const complete = renderResult(got, shell.settings);
  assertEquals(parseRendered(complete).length, 10000, "batch and piped output stay complete");
  assertEquals(renderResult({ ...got, all: true }, shell.settings, undefined, TERMINAL), complete);
  await shell.execute("set display-limit 0");
  assertEquals(renderResult(got, shell.settings, undefined, TERMINAL), complete);
});

Deno.test("long text is cut at a character boundary and keeps its quoted form", async () => {
  await using shell = new Shell({ displayLimit: 5 });
  await connectedPair(shell);
  await shell.execute('send a "ééééé"');
  const got = as(await shell.execute("recvexact srv.1 10"), "data");
  const [body, note] = renderResult(got, shell.settings, undefined, TERMINAL).split("\n");
  assertEquals(body, '"éé"');
  assertMatch(note, /^… 6 more bytes not shown/);
});

Deno.test("recv --all is accepted by every receiving command", async () => {
  await using shell = new Shell();
  await connectedPair(shell);
  await shell.execute("send a hi");
  assertEquals(as(await shell.execute("recv srv.1 --all"), "data").all, true);
});

Deno.test("ls on a terminal shows counts human-readable and cuts the note to the width", () => {
  const table = {
    kind: "table" as const,
    columns: ["name", "in", ""],
    rows: [["a", "1536", "x".repeat(200)]],
    counts: [1],
    fit: 2,
  };
  const lines = renderResult(table, new Shell().settings, undefined, TERMINAL).split("\n");
  assertEquals(lines[1].length, 80);
  assert(lines[1].startsWith("a     1.5 KiB  xxx") && lines[1].endsWith("x…"), lines[1]);
  assertEquals(
    renderResult(table, new Shell().settings).split("\n")[1].length,
    4 + 2 + 4 + 2 + 200 + 2 - 2,
  );
});

Deno.test("close says how many unread bytes it threw away", async () => {
  await using shell = new Shell();
  await connectedPair(shell);
  const buffered = new Promise<void>((resolve) => {
    const stop = shell.registry.subscribe((e) => {
      if (e.type === "data" && e.name === "srv.1" && e.buffered === 5) {
        stop();
        resolve();
      }
    });
  });
  await shell.execute("send a 12345");
  await buffered;
  assertEquals(
    as(await shell.execute("close srv.1"), "message").text,
    "closed srv.1 (5 unread bytes discarded)",
  );
  assertEquals(as(await shell.execute("close a"), "message").text, "closed a");
});

Deno.test("ls leaves closed sockets out unless named or --closed, and shows them holding nothing", async () => {
  await using shell = new Shell();
  await connectedPair(shell);
  await shell.execute("send a 12345");
  await shell.execute("recvexact srv.1 1");
  await shell.execute("close srv.1");
  const ls = as(await shell.execute("ls"), "table");
  assertEquals(ls.rows.map((r) => r[0]), ["srv", "a"]);
  assertEquals(ls.note, "1 closed socket not shown (ls --closed)");
  const all = as(await shell.execute("ls --closed"), "table");
  assertEquals(all.rows.map((r) => [r[0], r[2], r[7]]), [
    ["srv", "listening", "0 waiting"],
    ["srv.1", "closed", "-"],
    ["a", "peer-closed", "0"],
  ]);
  assertEquals(as(await shell.execute("ls srv.1"), "table").rows[0][7], "-");
});

Deno.test("ls right after close in batch mode shows the other end as peer-closed", async () => {
  for (let i = 0; i < 5; i++) {
    const run = await sockit([
      "-c",
      "listen tcp s :0; open tcp a ${s.local}; accept s; close s.*; ls a",
    ]);
    assertEquals(run.code, 0, run.stderr);
    assertMatch(run.stdout, /\na +tcp +peer-closed /);
  }
});

Deno.test("record start refuses a file that holds something unless --force", async () => {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    await Deno.writeTextFile(file, "# precious\n");
    const run = await sockit(["-c", `record start ${file}`]);
    assertEquals(run.code, 1);
    assertEquals(
      run.stderr.trim(),
      `-c:1: error: Cannot record to "${file}": the file exists; record start ${file} --force overwrites it`,
    );
    assertEquals(await Deno.readTextFile(file), "# precious\n");
    const forced = await sockit([
      "-c",
      `record start ${file} --force; set timeout 1s; record stop`,
    ]);
    assertEquals(forced.code, 0, forced.stderr);
    assertMatch(await Deno.readTextFile(file), /set timeout 1s/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("set checks display-limit and events with one-line errors", async () => {
  await using shell = new Shell();
  await assertRejects(
    () => shell.execute("set display-limit lots"),
    /set display-limit: "lots" is not a whole number/,
  );
  await assertRejects(() => shell.execute("set events loud"), /set events: unknown value "loud"/);
  await shell.execute("set events quiet");
  assertEquals(shell.settings.events, "quiet");
  const rows = as(await shell.execute("set"), "table").rows;
  assertEquals(rows.map((r) => r[0]), [
    "display",
    "timeout",
    "send-timeout",
    "display-limit",
    "events",
    "timestamps",
  ]);
});

Deno.test("Tab completion offers fixed words, open sockets only, and sorted @files", async () => {
  const { complete } = await import("../shell/complete.ts");
  await using shell = new Shell();
  await connectedPair(shell);
  await shell.execute("close a");
  assertEquals(complete(shell, "serve ")[0], [
    "echo",
    "ack",
    "chat",
    "discard",
    "daytime",
    "exec",
    "broker",
  ]);
  assert(complete(shell, "serve echo ")[0].includes("tcp"));
  assertEquals(complete(shell, "set display ")[0], ["auto", "text", "hex"]);
  assertEquals(complete(shell, "set ev")[0], ["events "]);
  assertEquals(complete(shell, "frame srv.1 u")[0], ["u16", "u32"]);
  assertEquals(complete(shell, "multicast m ")[0], ["join", "leave"]);
  assertEquals(complete(shell, "recv ")[0], ["srv", "srv.1"], "closed a is not offered");
  const dir = await Deno.makeTempDir();
  try {
    for (const name of ["b.bin", "c.bin", "a.bin"]) await Deno.writeTextFile(`${dir}/${name}`, "");
    assertEquals(
      complete(shell, `send srv.1 @${dir}/`)[0],
      ["a.bin", "b.bin", "c.bin"].map((n) => `@${dir}/${n}`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
