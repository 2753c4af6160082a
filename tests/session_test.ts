import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  strictEqual as equal,
} from "node:assert/strict";
import {
  attachRecorder,
  formatFailure,
  parseScript,
  replay,
  replayFile,
  type ScriptResult,
  Shell,
} from "../mod.ts";
import { eventually, sockit } from "./_helpers.ts";

const encoder = new TextEncoder();

/** A peer that accepts connections, counts them, and writes `chunks` with a pause between. */
function chunkedPeer(chunks: string[], pause = 30) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const conns: Deno.Conn[] = [];
  const loop = (async () => {
    for await (const conn of listener) {
      accepted++;
      conns.push(conn);
      for (const chunk of chunks) {
        await new Promise((r) => setTimeout(r, pause));
        await conn.write(encoder.encode(chunk)).catch(() => {});
      }
    }
  })().catch(() => {});
  return {
    address: `127.0.0.1:${listener.addr.port}`,
    port: listener.addr.port,
    get accepted() {
      return accepted;
    },
    /** The client port of the first connection accepted. */
    get firstRemotePort() {
      return (conns[0]?.remoteAddr as Deno.NetAddr | undefined)?.port;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) c.close();
      await loop;
    },
  };
}

async function withFile<T>(text: string, fn: (file: string) => Promise<T>): Promise<T> {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    await Deno.writeTextFile(file, text);
    return await fn(file);
  } finally {
    await Deno.remove(file);
  }
}

const failure = (r: ScriptResult) => formatFailure(r.failure!);

Deno.test('a recorded "hello world" passes when the bytes arrive as "hello " and "world"', async () => {
  await using peer = chunkedPeer(["hello ", "world"]);
  const script = parseScript('open tcp a ${peer}\nrecv a\n  "hello world"\n', "split.sockit", {
    variables: ["peer"],
  });
  const result = await replay(script, { variables: { peer: peer.address } });
  equal(result.status, "passed", result.failure && failure(result));
});

Deno.test("replay fails as soon as the peer sends different bytes, without waiting for the deadline", async () => {
  await using peer = chunkedPeer(["hallo world"]);
  const script = parseScript('open tcp a ${peer}\nrecv a\n  "hello world!"\n', "x.sockit", {
    variables: ["peer"],
  });
  const started = performance.now();
  const result = await replay(script, { variables: { peer: peer.address }, timeout: 5000 });
  assert(performance.now() - started < 2000);
  equal(result.status, "failed");
  assertMatch(failure(result), /x\.sockit:2: received different bytes/);
  assertMatch(failure(result), /first difference at byte 1: expected 0x65, got 0x61/);
});

Deno.test("malformed scripts fail before anything is sent, naming file:line:column and a hint", async () => {
  await using peer = chunkedPeer([]);
  const cases: [string, RegExp][] = [
    ["sned a hi", /:3:1: unknown command "sned"; hint: did you mean send\?/],
    ['send a "hi', /:3:8: unterminated string; hint: close it with "/],
    ['send a "h\\qi"', /:3:10: bad escape "\\q"; hint: valid escapes/],
    ["expect a /(/", /:3:10: bad regex \/\(\/: .*; hint: regexes look like/],
    ["send a ${nope}", /:3:8: undefined variable \$\{nope\}; hint: variables are/],
    ["sendline a hi\n  sent ${x:(} bytes", /:4:12: bad regex \(: .*; hint: captures look like/],
    ["recv a\n  not bytes", /:4:3: expected received bytes, got "not bytes"/],
    [
      "recv a --tiemout 1s",
      /:3:8: recv: unknown option "--tiemout"; hint: did you mean --timeout\?/,
    ],
  ];
  for (const [bad, expected] of cases) {
    const text = `open tcp a ${peer.address}\nsend a hello\n${bad}\n`;
    const result = await withFile(text, (file) => replayFile(file));
    equal(result.status, "failed");
    equal(result.steps.length, 0, "no step ran");
    const f = result.failure!;
    assertMatch(`:${f.line}:${f.column}: ${f.reason}; hint: ${f.hint}`, expected);
  }
  // Connections are accepted in the order they were made: if a replay had connected, its
  // connection would be accepted before this one.
  const sentinel = await Deno.connect({ hostname: "127.0.0.1", port: peer.port });
  await eventually(() => peer.accepted > 0, "the sentinel connection to be accepted");
  equal(peer.firstRemotePort, sentinel.localAddr.port, "nothing connected before the sentinel");
  sentinel.close();
});

Deno.test("every wait has a deadline: a command that waits too long is cancelled", async () => {
  const script = parseScript("sleep 10s\n", "slow.sockit");
  const started = performance.now();
  const result = await replay(script, { commandDeadline: 100 });
  assert(performance.now() - started < 2000);
  equal(result.status, "failed");
  assertMatch(result.failure!.reason, /cancelled/);
});

Deno.test("the per-command cap counts from each command's start, not the script's", async () => {
  // Three 40ms commands under a 100ms cap pass; the fourth waits too long and is cancelled
  // 100ms after it started (about 220ms in), and under --update the next command runs again.
  const script = parseScript("sleep 40ms\nsleep 40ms\nsleep 40ms\nsleep 10s\nsleep 1ms\n", "s");
  const started = performance.now();
  const result = await replay(script, { commandDeadline: 100, update: true });
  const ms = performance.now() - started;
  assertEquals(result.steps.map((s) => s.status), [
    "passed",
    "passed",
    "passed",
    "failed",
    "passed",
  ]);
  assert(ms > 200 && ms < 2000, `took ${ms}ms`);
  assert(result.steps[3].ms >= 95, `cancelled after ${result.steps[3].ms}ms`);
});

Deno.test("a failing replay reports the command, expected vs actual and the sockets' states", async () => {
  const script = parseScript(
    "listen tcp srv :0\nopen tcp a ${srv.local}\nsend srv.1 hex:0001\nrecv a\n  00000000  00 02\n",
    "bin.sockit",
  );
  const report = failure(await replay(script));
  assertMatch(report, /^bin\.sockit:4: received different bytes$/m);
  assertMatch(report, /^ {2}command: {2}recv a$/m);
  assertMatch(report, /^ {2}expected: 00000000 {2}00 02$/m);
  assertMatch(report, /^ {2}actual: {3}00000000 {2}00 01 +\|\.\.\|$/m);
  assertMatch(report, /^ {4}a +tcp +open +127\.0\.0\.1:\d+ +127\.0\.0\.1:\d+ +2 +0 +2$/m);
});

Deno.test("captures and wildcards match values that differ between runs", async () => {
  const script = parseScript(
    [
      "listen tcp srv :0",
      "  srv  listening  tcp 127.0.0.1:${port:\\d+}",
      "open tcp a :${port}",
      "  a  open  tcp ${*} → ${srv.local}",
      "sendline a id=${port}",
      "  sent ${n:\\d+} bytes to a",
      "recvline srv.1",
      "  /id=(?<id>\\d+)\\n/",
      "sendline srv.1 ${id} ${n}",
      "recvline a",
      "  /\\d+ \\d+\\n/",
    ].join("\n"),
    "captures.sockit",
  );
  const result = await replay(script);
  equal(result.status, "passed", result.failure && failure(result));
});

Deno.test("a transcript copied from the terminal, prompts and events included, is a valid test", async () => {
  const transcript = [
    "sockit> listen tcp srv :0",
    "srv  listening  tcp ${srv.local}",
    "sockit> open tcp a ${srv.local}",
    "a  open  tcp ${a.local} → ${srv.local}",
    "[srv] accepted srv.1 from 127.0.0.1:52210",
    "sockit> sendline a hello there",
    "sent 12 bytes to a",
    "[srv.1] 12 bytes waiting (recv srv.1)",
    "sockit> recvline srv.1",
    '"hello there\\n"',
  ].join("\n");
  const result = await replay(parseScript(transcript, "pasted.sockit"));
  equal(result.status, "passed", result.failure && failure(result));
});

Deno.test("sockit test --update rewrites stale observations, keeping comments, wildcards and captures", async () => {
  const original = await Deno.readTextFile(
    new URL("../scripts/multi_client.sockit", import.meta.url),
  );
  const stale = original.replace('"from a\\n"', '"from x\\n"').replace(
    "sent 7 bytes to b",
    "sent 9 bytes to b",
  );
  assert(stale !== original);
  await withFile(stale, async (file) => {
    const run = await sockit(["test", "--update", file]);
    equal(run.code, 0, run.stdout + run.stderr);
    equal(await Deno.readTextFile(file), original);
  });
});

Deno.test("the recorder writes commands, observations, expected errors and skipped lines", async () => {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    {
      await using shell = new Shell();
      attachRecorder(shell);
      await shell.execute(`record start ${file}`);
      await shell.execute("listen tcp srv :0");
      await shell.execute(
        "open tcp a ${srv.local}".replace(
          "${srv.local}",
          shell.registry.get("srv", "x").info().local,
        ),
      );
      await shell.execute("send a hex:00ff").catch(() => {});
      await shell.execute("recv srv.1");
      await shell.execute("recv a --timeout 20ms").catch(() => {});
      await shell.execute("sned a hi").catch(() => {});
      await shell.execute("record stop");
    }
    const lines = (await Deno.readTextFile(file)).split("\n");
    assertMatch(lines[0], /^# recorded by sockit /);
    assertEquals(lines.slice(1), [
      "listen tcp srv :0",
      "  srv  listening  tcp ${srv.local}",
      "open tcp a ${srv.local}",
      "  a  open  tcp ${a.local} → ${srv.local}",
      "send a hex:00ff",
      "  sent 2 bytes to a",
      "recv srv.1",
      "  00000000  00 ff                                             |..|",
      "recv a --timeout 20ms",
      '  ! Cannot recv from "a": timed out after 20ms (nothing buffered)',
      '# failed: sned a hi  (Unknown command "sned")',
      "",
    ]);
    const result = await replayFile(file);
    equal(result.status, "passed", result.failure && failure(result));
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("record needs a recorder attached to the shell, and says how to get one", async () => {
  await using shell = new Shell();
  await shell.execute("record start x.sockit").then(
    () => assert(false, "expected a failure"),
    (e) => assertMatch(`${e.message}; ${e.hint}`, /recording is not set up.*attachRecorder/),
  );
});

Deno.test("sockit --record FILE records a whole batch session that sockit test replays", async () => {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    const run = await sockit(["--record", file], "listen tcp srv :0\nset display hex\n");
    equal(run.code, 0, run.stderr);
    const text = await Deno.readTextFile(file);
    assertMatch(
      text,
      /^listen tcp srv :0\n {2}srv {2}listening {2}tcp \$\{srv\.local\}\nset display hex\n {2}display = hex\n$/m,
    );
    const test = await sockit(["test", file]);
    equal(test.code, 0, test.stdout);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("sockit test prints one line per script and a summary, and exits 1 when one fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/good.sockit`, "listen tcp srv :0\n");
    await Deno.writeTextFile(`${dir}/bad.sockit`, 'listen tcp srv :0\nrecv srv\n  "x"\n');
    const run = await sockit(["test", dir]);
    equal(run.code, 1);
    const lines = run.stdout.split("\n");
    assertMatch(
      lines[0],
      new RegExp(`^FAIL ${dir}/bad\\.sockit:2: Cannot recv from "srv": it is a listener$`),
    );
    assert(
      lines.some((l) => new RegExp(`^ok {3}${dir}/good\\.sockit \\(1 steps, \\d+ms\\)$`).test(l)),
    );
    assertMatch(run.stdout, /^1 passed, 1 failed \(\d+ms\)$/m);
    const good = await sockit(["test", `${dir}/good.sockit`]);
    equal(good.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
