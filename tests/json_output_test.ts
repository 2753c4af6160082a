/**
 * `sockit --json`: one JSON line per command on stdout, errors and events as JSON on stderr,
 * against real sockets through the CLI; and a program that drives sockit line by line.
 */
// The named deepEqual/equal of node:assert/strict are the loose ones in Deno 2.9 ("16" == 16).
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  strictEqual as equal,
} from "node:assert/strict";
import { echoPeer, sockit, SOCKIT_RUN } from "./_helpers.ts";
import { spawnPeer } from "./_peers.ts";

/** Every line the tests below saw, checked against the schema by the last test. */
const printed: string[] = [];

/** Every line of `text` parsed as JSON. */
function lines(text: string): Record<string, unknown>[] {
  const all = text.split("\n").filter((l) => l !== "");
  printed.push(...all);
  return all.map((l) => JSON.parse(l));
}

/** The `result` of each stdout line, checking the line's frame (number, command, ok). */
function results(stdout: string, commands: string[]): Record<string, unknown>[] {
  const got = lines(stdout);
  assertEquals(
    got.map((l) => [l.line, l.command, l.ok]),
    commands.map((c, i) => [i + 1, c, true]),
  );
  return got.map((l) => l.result as Record<string, unknown>);
}

const bytesOf = (b64: unknown) => Uint8Array.from(atob(String(b64)), (c) => c.charCodeAt(0));

Deno.test("each kind of result is one JSON line with its own fields", async () => {
  await using echo = echoPeer();
  const port = echo.addr.port;
  const run = await sockit([
    "--json",
    "-c",
    [
      `open tcp a 127.0.0.1:${port}`,
      'send a "hello\\n"',
      "recvline a",
      "send a hex:00ff01",
      "recvexact a 3",
      "send a one-two",
      "expect a /zzz/ /two/",
      "ls",
      "help sleep",
      "repeat 2 sleep 1ms",
      "sleep 1ms",
      "quit",
    ].join("; "),
  ]);
  equal(run.code, 0, run.stderr);
  equal(run.stderr, "");
  const [open, sent, line, _sentBinary, binary, _sent3, expected, ls, help, repeated, none, quit] =
    results(run.stdout, [
      "open",
      "send",
      "recvline",
      "send",
      "recvexact",
      "send",
      "expect",
      "ls",
      "help",
      "repeat",
      "sleep",
      "quit",
    ]);

  // A socket result carries every SocketInfo field.
  equal(open.kind, "socket");
  equal(open.verb, "open");
  const info = open.socket as Record<string, unknown>;
  assertEquals(Object.keys(info).sort(), [
    "buffered",
    "bytesIn",
    "bytesOut",
    "kind",
    "local",
    "name",
    "remote",
    "role",
    "state",
  ]);
  assertEquals([info.name, info.kind, info.role, info.remote], [
    "a",
    "tcp",
    "client",
    `127.0.0.1:${port}`,
  ]);

  assertEquals(sent, { kind: "message", text: "sent 6 bytes to a" });

  // Printable data: base64 and the canonical text; binary data: base64 only.
  assertEquals(line, {
    kind: "data",
    socket: "a",
    status: "ok",
    size: 6,
    bytes: "aGVsbG8K",
    text: '"hello\\n"',
  });
  assertEquals(binary, { kind: "data", socket: "a", status: "ok", size: 3, bytes: "AP8B" });

  // expect with alternatives: which one matched, and the bytes before the match.
  equal(new TextDecoder().decode(bytesOf(expected.bytes)), "one-two");
  assertEquals(expected.matched, { index: 2, text: "/two/" });
  assertEquals(expected.before, { size: 4, bytes: "b25lLQ==", text: '"one-"' });

  // A table: columns and rows, byte counts as raw numbers.
  equal(ls.kind, "table");
  const columns = ls.columns as string[];
  const row = (ls.rows as unknown[][])[0];
  assertEquals(row.slice(0, 3), ["a", "tcp", "open"]);
  equal(row[columns.indexOf("in")], 16);
  equal(row[columns.indexOf("out")], 16);
  equal(row[columns.indexOf("buffered")], 0);
  equal(help.kind, "text");
  assertMatch(String(help.text), /^usage: sleep/);
  assertEquals(repeated, { kind: "repeated", text: "ran sleep 2 times", last: { kind: "none" } });
  assertEquals(none, { kind: "none" });
  assertEquals(quit, { kind: "quit" });
});

Deno.test("a datagram's data says who sent it and whether it was cut", async () => {
  const run = await sockit([
    "--json",
    "-c",
    "listen udp u 127.0.0.1:0; open udp c ${u.local}; send c hello; send c world; " +
    "recvfrom u; recv u 2",
  ]);
  equal(run.code, 0, run.stderr);
  const [, c, , , from, cut] = results(run.stdout, [
    "listen",
    "open",
    "send",
    "send",
    "recvfrom",
    "recv",
  ]);
  const local = (c.socket as { local: string }).local;
  assertEquals(from, {
    kind: "data",
    socket: "u",
    status: "ok",
    size: 5,
    bytes: "aGVsbG8=",
    text: '"hello"',
    from: local,
  });
  assertEquals(cut, {
    kind: "data",
    socket: "u",
    status: "ok",
    size: 2,
    bytes: "d28=",
    text: '"wo"',
    truncated: true,
  });
});

Deno.test("a failing command is a JSON error on stderr with its code, and the run stops with 1", async () => {
  await using echo = echoPeer();
  const run = await sockit([
    "--json",
    "-c",
    `open tcp a 127.0.0.1:${echo.addr.port}; recv a --timeout 50ms; ls`,
  ]);
  equal(run.code, 1);
  results(run.stdout, ["open"]);
  assertEquals(lines(run.stderr), [{
    line: 2,
    command: "recv",
    ok: false,
    error: {
      code: "timeout",
      message: 'Cannot recv from "a": timed out after 50ms (nothing buffered)',
    },
  }]);
});

Deno.test("an error's hint is in its JSON, and lines without a command print nothing", async () => {
  const run = await sockit(["--json"], "# a comment\n\nsned a hi\n");
  equal(run.code, 1);
  equal(run.stdout, "");
  assertEquals(lines(run.stderr), [{
    line: 3,
    command: "sned",
    ok: false,
    error: {
      code: "unknown-command",
      message: 'Unknown command "sned"',
      hint: "did you mean send?",
    },
  }]);
});

Deno.test("a line that cannot be read has a null command, and a bad global option a null line", async () => {
  const unterminated = await sockit(["--json", "-c", 'send a "open']);
  equal(unterminated.code, 1);
  const [error] = lines(unterminated.stderr);
  assertEquals([error.line, error.command, (error.error as { code: string }).code], [
    1,
    null,
    "unterminated",
  ]);
  const bad = await sockit(["--json", "--timeout", "soon", "-c", "ls"]);
  equal(bad.code, 1);
  const [global] = lines(bad.stderr);
  assertEquals([global.line, global.command, global.ok], [null, null, false]);
  assertEquals((global.error as { code: string }).code, "usage");
});

Deno.test("with --events, socket events are JSON lines on stderr", async () => {
  const run = await sockit([
    "--json",
    "--events",
    "-c",
    "listen tcp l 127.0.0.1:0; open tcp a ${l.local}; accept l; close a; recv l.1",
  ]);
  equal(run.code, 1); // the last recv meets end of stream: an error, after the events
  const events = lines(run.stderr).filter((l) => "event" in l);
  const accepted = events.find((e) => e.event === "accepted")!;
  assertEquals([accepted.socket, accepted.child], ["l", "l.1"]);
  assertMatch(String(accepted.remote), /^127\.0\.0\.1:\d+$/);
  assertMatch(String(accepted.t), /^\d{4}-\d\d-\d\dT/);
  assert(events.some((e) => e.event === "closed" && e.socket === "a"));
  assert(events.some((e) => e.event === "peer-closed" && e.socket === "l.1"));
  const failed = lines(run.stderr).find((l) => l.ok === false)!;
  assertEquals([failed.line, (failed.error as { code: string }).code], [5, "eof"]);
});

Deno.test("sockit run FILE --json numbers lines as the file does", async () => {
  await using echo = echoPeer();
  const dir = await Deno.makeTempDir();
  const file = `${dir}/talk.sockit`;
  await Deno.writeTextFile(file, `# talk\nopen tcp a 127.0.0.1:${echo.addr.port}\n\nsend a hi\n`);
  const run = await sockit(["run", file, "--json"]);
  equal(run.code, 0, run.stderr);
  assertEquals(lines(run.stdout).map((l) => [l.line, l.command]), [[2, "open"], [4, "send"]]);
  await Deno.remove(dir, { recursive: true });
});

/** Lines of a stream, one at a time. */
function lineReader(stream: ReadableStream<Uint8Array>): () => Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return async () => {
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended; partial line: ${buffered}`);
      buffered += value;
    }
    const at = buffered.indexOf("\n");
    const line = buffered.slice(0, at);
    buffered = buffered.slice(at + 1);
    return line;
  };
}

Deno.test("a program drives sockit --json line by line, deciding each command from the last answer", async () => {
  await using server = spawnPeer("python3", [
    new URL("./python/echo_server.py", import.meta.url).pathname,
    "127.0.0.1",
    "0",
  ]);
  const port = (await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1];
  const child = new Deno.Command(Deno.execPath(), {
    args: [...SOCKIT_RUN, "--json"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const writer = child.stdin.getWriter();
  const next = lineReader(child.stdout);
  const ask = async (command: string) => {
    await writer.write(new TextEncoder().encode(command + "\n"));
    const line = await next();
    printed.push(line);
    const answer = JSON.parse(line);
    equal(answer.ok, true, JSON.stringify(answer));
    return answer.result;
  };

  const opened = await ask(`open tcp a 127.0.0.1:${port}`);
  equal(opened.socket.state, "open");
  // Count up: each number sent comes back and decides the next one.
  let n = 1;
  const seen: number[] = [];
  while (n < 40) {
    await ask(`send a "${n}\\n"`);
    const echoed = await ask("recvline a");
    const back = Number(new TextDecoder().decode(bytesOf(echoed.bytes)));
    seen.push(back);
    n = back * 2;
  }
  assertEquals(seen, [1, 2, 4, 8, 16, 32]);
  const ls = await ask("ls");
  equal(ls.rows[0][ls.columns.indexOf("out")], 14); // "1\n" … "32\n"
  assertEquals(await ask("quit"), { kind: "quit" });
  await writer.close();
  const status = await child.status;
  equal(status.code, 0);
  await child.stderr.cancel();
});

const SCHEMA = new URL("../docs/json_output.schema.json", import.meta.url).pathname;

/** Checks each line of a file against the schema with Python's jsonschema (Debian's). */
const VALIDATE = `
import json, sys, jsonschema
validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
bad = 0
for n, line in enumerate(open(sys.argv[2]), 1):
    for error in validator.iter_errors(json.loads(line)):
        bad += 1
        print(f"line {n}: {error.message}: {line.strip()[:200]}")
sys.exit(1 if bad else 0)
`;

/** The schema's complaints about `lines` (none: an empty string). */
async function complaints(lines: string[]): Promise<string> {
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", VALIDATE, SCHEMA, file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(file);
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return out.success ? "" : text || `exit ${out.code}`;
}

Deno.test("every line above matches docs/json_output.schema.json, which rejects a wrong one", async () => {
  assert(printed.length > 40, `only ${printed.length} lines printed: run the whole file`);
  for (const kind of ["message", "socket", "data", "table", "text", "repeated", "none", "quit"]) {
    assert(printed.some((l) => l.includes(`"result":{"kind":"${kind}"`)), kind);
  }
  assert(printed.some((l) => l.startsWith('{"event":')));
  equal(await complaints(printed), "");
  const wrong = [
    '{"line":1,"command":"recv","ok":true,"result":{"kind":"data","socket":"a"}}',
    '{"line":1,"command":"ls","ok":true,"result":{"kind":"table","columns":[],"rows":[[true]]}}',
    '{"line":1,"command":"x","ok":false,"error":{"code":"oops","message":"m"}}',
  ];
  for (const line of wrong) assertMatch(await complaints([line]), /^line 1: /);
});
