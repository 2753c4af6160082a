/**
 * A WebSocket message's kind (text or binary) in recordings: written as ` (binary)` after the
 * bytes, checked by replay and by the mock, and the mock served as wss.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  strictEqual as equal,
} from "node:assert/strict";
import { attachRecorder, formatFailure, parseScript, replayFile, Shell } from "../mod.ts";
import { startMock } from "../session/mock.ts";
import { eventually, sockit, SOCKIT_RUN } from "./_helpers.ts";
import { makeTestCerts, spawnPeer } from "./_peers.ts";
import { PYTHON, wsEchoServer } from "./_ws_peers.ts";

/** Records a session of text and binary messages (both kinds UTF-8) against Python's echo. */
async function recordKinds(file: string, port: number): Promise<string[]> {
  await using shell = new Shell({ timeout: 5000 });
  attachRecorder(shell);
  await shell.execute(`record start ${file}`);
  await shell.execute(`open ws a ws://127.0.0.1:${port}/`);
  await shell.execute("send a hello");
  await shell.execute("recv a");
  await shell.execute("send a --binary hello");
  await shell.execute("recv a");
  await shell.execute("send a --binary hex:00ff");
  await shell.execute("recv a");
  await shell.execute("close a");
  await shell.execute("record stop");
  return (await Deno.readTextFile(file)).split("\n");
}

Deno.test("a recording marks binary messages (binary), replays green, and goes red when a kind is flipped", async () => {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    const lines = await recordKinds(file, port);
    assertEquals(lines.slice(5, 15), [
      "recv a",
      '  "hello"',
      "send a --binary hello",
      "  sent 5 bytes to a",
      "recv a",
      '  "hello" (binary)',
      "send a --binary hex:00ff",
      "  sent 2 bytes to a",
      "recv a",
      "  00000000  00 ff                                             |..| (binary)",
    ]);
    const green = await replayFile(file);
    equal(green.status, "passed", green.failure && formatFailure(green.failure));

    // The binary "hello" written as text: replay reports the line and both kinds.
    const asText = [...lines];
    asText[10] = '  "hello"';
    await Deno.writeTextFile(file, asText.join("\n"));
    const red = await replayFile(file);
    equal(red.status, "failed");
    assertMatch(formatFailure(red.failure!), /:10\b/);
    equal(red.failure!.line, 10);
    equal(red.failure!.reason, "received a binary message, the script expects a text one");

    // The text "hello" marked binary.
    const asBinary = [...lines];
    asBinary[6] = '  "hello" (binary)';
    await Deno.writeTextFile(file, asBinary.join("\n"));
    const red2 = await replayFile(file);
    equal(red2.failure?.line, 6);
    equal(red2.failure?.reason, "received a text message, the script expects a binary one");

    // Bytes that are not UTF-8 can only be binary: unmarked (as before the mark existed) passes.
    const unmarked = lines.map((l) =>
      l.startsWith("  00000000  00 ff") ? l.replace(" (binary)", "") : l
    );
    await Deno.writeTextFile(file, unmarked.join("\n"));
    const old = await replayFile(file);
    equal(old.status, "passed", old.failure && formatFailure(old.failure));
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("(binary) on a socket that is no WebSocket fails replay; unmarked tcp bytes are unchanged", async () => {
  const script = (mark: string) =>
    [
      "listen tcp srv :0",
      "open tcp a ${srv.local}",
      "send a hi",
      "recv srv.1",
      `  "hi"${mark}`,
    ].join("\n");
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    await Deno.writeTextFile(file, script(""));
    equal((await replayFile(file)).status, "passed");
    await Deno.writeTextFile(file, script(" (binary)"));
    const red = await replayFile(file);
    equal(red.failure?.line, 4);
    equal(
      red.failure?.reason,
      'the script expects a binary WebSocket message; "srv.1" is no WebSocket',
    );
  } finally {
    await Deno.remove(file);
  }
});

/** A ws recording whose messages are UTF-8 either way, so only the marks tell the kinds. */
const KINDS = [
  "open ws c1 ws://127.0.0.1:9/",
  "send c1 --binary ping",
  "  sent 4 bytes to c1",
  "recv c1",
  '  "as text"',
  "recv c1",
  '  "as binary" (binary)',
  "close c1",
].join("\n");

/**
 * A Python websockets client: sends one message (`send`, a Python literal), prints the kind and
 * text of the two answers, then closes (as the recording's client did); or prints the close.
 */
function kindsClient(url: string, send: string, extra: string[] = []) {
  return spawnPeer(PYTHON, [
    "-u",
    "-c",
    "import asyncio, ssl, sys, websockets\n" +
    "async def main():\n" +
    "  ctx = ssl.create_default_context(cafile=sys.argv[2]) if len(sys.argv) > 2 else None\n" +
    "  async with websockets.connect(sys.argv[1], ssl=ctx) as ws:\n" +
    `    await ws.send(${send})\n` +
    "    try:\n" +
    "      for _ in range(2):\n" +
    "        m = await ws.recv()\n" +
    "        print(type(m).__name__, m if isinstance(m, str) else m.decode())\n" +
    "    except websockets.ConnectionClosed as e:\n" +
    "      print('closed', e.code)\n" +
    "  print('done')\n" +
    "asyncio.run(main())\n",
    url,
    ...extra,
  ]);
}

Deno.test("the ws mock answers each message with its recorded kind to Python's client", async () => {
  await using mock = await startMock(parseScript(KINDS, "kinds.sockit"), { timeout: 5000 });
  await using client = kindsClient(`ws://${mock.address}/`, "b'ping'");
  await client.waitFor(/^done$/m);
  assertEquals(client.stdout().trim().split("\n"), ["str as text", "bytes as binary", "done"]);
  await eventually(() => mock.completed === 1, "the mock played the conversation to the end");
  equal(mock.deviated, 0, mock.diagnostics.join("\n"));
});

Deno.test("the ws mock reports a client that sends a text message where the recording has binary", async () => {
  await using mock = await startMock(parseScript(KINDS, "kinds.sockit"), { timeout: 5000 });
  await using client = kindsClient(`ws://${mock.address}/`, "'ping'");
  await client.waitFor(/^closed \d+$/m);
  equal(client.stdout().includes("as text"), false, "no recorded answer after a deviation");
  assertEquals(mock.diagnostics, [
    "kinds.sockit:2: connection 1 (recorded as c1): " +
    "the client sent a text message; the recording has a binary one",
  ]);
});

Deno.test("sockit mock --cert/--key serves a ws recording as wss to Python's client with the test CA", async () => {
  await using certs = await makeTestCerts();
  const file = `${certs.dir}/kinds.sockit`;
  await Deno.writeTextFile(file, KINDS.replace("open ws c1 ws:", "open wss c1 wss:"));
  const mockArgs = ["mock", file, "--cert", certs.leaf, "--key", certs.leafKey];
  const mock = spawnPeer(Deno.execPath(), [...SOCKIT_RUN, ...mockArgs]);
  await using _mock = mock;
  const [, port] = await mock.waitFor(/mock listening on wss:\/\/127\.0\.0\.1:(\d+)\//, 20_000);
  await using client = kindsClient(`wss://localhost:${port}/`, "b'ping'", [certs.ca]);
  await client.waitFor(/^done$/m);
  assertEquals(client.stdout().trim().split("\n"), ["str as text", "bytes as binary", "done"]);
  await mock.waitFor(/connection 1 \(c1\): played to the end/, 5000, "stderr");
});

Deno.test("sockit mock of a wss recording without --cert is a one-line error naming the socket", async () => {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    await Deno.writeTextFile(file, KINDS.replace("open ws c1 ws:", "open wss c1 wss:"));
    const run = await sockit(["mock", file]);
    equal(run.code, 1);
    assertEquals(run.stderr.trim().split("\n"), [
      `error: ${file}:1:1: "c1" is wss: the mock serves it over TLS with --cert and --key; ` +
      "sockit mock FILE --cert leaf.pem --key leaf.key",
    ]);
    const tcp = await Deno.makeTempFile({ suffix: ".sockit" });
    await Deno.writeTextFile(tcp, "open tcp c1 127.0.0.1:9\nsend c1 hi\n");
    const cert = await sockit(["mock", tcp, "--cert", "x.pem", "--key", "x.key"]);
    assertMatch(cert.stderr, /--cert and --key serve a ws or wss recording; this one is tcp/);
    await Deno.remove(tcp);
  } finally {
    await Deno.remove(file);
  }
});
