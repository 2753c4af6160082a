/**
 * Exit codes: 130 for SIGINT and 143 for SIGTERM in every mode, after closing cleanly, and a
 * quiet 141 when standard output's reader has gone.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { startSockit } from "./_cli_process.ts";
import { echoPeer } from "./_helpers.ts";

Deno.test("SIGINT cancels the command batch mode is running and the run exits 130", async () => {
  await using sockit = startSockit(["-c", "listen tcp s :0; accept s --timeout 1m; ls"]);
  await sockit.waitFor(/s {2}listening/);
  sockit.kill("SIGINT");
  const run = await sockit.exited();
  assertEquals(run.code, 130, run.stderr);
  assertMatch(run.stderr, /^-c:2: error: Cannot accept on "s": cancelled/);
  assertEquals(run.stdout.includes("name"), false, "no line after the stopped one ran");
});

Deno.test("SIGTERM stops batch mode waiting for its next line on stdin with 143", async () => {
  await using sockit = startSockit([]);
  await sockit.write("listen tcp s :0\n");
  await sockit.waitFor(/s {2}listening/);
  sockit.kill("SIGTERM");
  const { code, stderr } = await sockit.exited();
  assertEquals(code, 143, stderr);
});

Deno.test("sockit serve stops cleanly on SIGINT with 130 and on SIGTERM with 143", async (t) => {
  for (const [signal, expected] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    await t.step(signal, async () => {
      await using sockit = startSockit(["serve", "echo", "tcp", ":0", "--busy-poll", "0"]);
      await sockit.waitFor(/echo listening on tcp 127\.0\.0\.1:\d+/);
      sockit.kill(signal);
      const run = await sockit.exited();
      assertEquals(run.code, expected, run.stderr);
      assertMatch(run.stdout, /stopped\n$/);
    });
  }
});

Deno.test("sockit record --proxy writes its script and exits 130 on SIGINT", async () => {
  await using peer = echoPeer();
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/proxy.sockit`;
    await using sockit = startSockit([
      "record",
      "--proxy",
      "127.0.0.1:0",
      `127.0.0.1:${peer.addr.port}`,
      file,
    ]);
    await sockit.waitFor(/proxy listening on/);
    sockit.kill("SIGINT");
    const run = await sockit.exited();
    assertEquals(run.code, 130, run.stderr);
    assertMatch(run.stdout, /recorded 0 connections to /);
    await Deno.stat(file);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sockit mock exits 143 on SIGTERM", async () => {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    await Deno.writeTextFile(file, 'open tcp c 127.0.0.1:1\nsend c "hi\\n"\n');
    await using sockit = startSockit(["mock", file]);
    await sockit.waitFor(/mock listening on/);
    sockit.kill("SIGTERM");
    const { code, stderr } = await sockit.exited();
    assertEquals(code, 143, stderr);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a closed standard output ends sockit quietly with 141", async () => {
  await using sockit = startSockit(["-c", "help; help"], { stdout: "closed" });
  const run = await sockit.exited();
  assertEquals([run.code, run.stderr], [141, ""]);
});

Deno.test("sockit serve validates its numbers with the shell's one-line errors", async (t) => {
  const cases: Array<[string[], string]> = [
    [
      ["chat", "tcp", ":0", "--max-queue", "-5"],
      'serve --max-queue: "-5" must be a whole number, 0 or more',
    ],
    [
      ["chat", "tcp", ":0", "--max-queue", "abc"],
      'serve --max-queue: "abc" is not a whole number, 0 or more',
    ],
    [
      ["echo", "tcp", ":0", "--busy-poll", "abc"],
      'serve --busy-poll: "abc" is not a whole number, 0 or more',
    ],
  ];
  for (const [args, message] of cases) {
    await t.step(args.slice(3).join(" "), async () => {
      await using sockit = startSockit(["serve", ...args]);
      const run = await sockit.exited();
      assertEquals([run.code, run.stderr.trim()], [1, `error: ${message}`]);
    });
  }
});
