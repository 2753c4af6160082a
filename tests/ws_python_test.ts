import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { renderResult } from "../shell/renderer.ts";
import type { SocketEvent } from "../sockets/named_socket.ts";
import { as, eventually } from "./_helpers.ts";
import { failure, makeTestCerts, spawnPeer, text } from "./_peers.ts";
import { PYTHON, pythonScript, wsEchoServer } from "./_ws_peers.ts";

Deno.test("open ws talks text and binary messages with Python's websockets server", async () => {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  const a = as(
    await shell.execute(
      `open ws a ws://127.0.0.1:${port}/room?x=1 --subprotocol chat --header X-Test:yes`,
    ),
    "socket",
  );
  assertEquals([a.info.kind, a.info.state], ["ws", "open"]);
  assertMatch(a.info.note ?? "", /subprotocol chat/);
  await shell.execute("send a whoami");
  const who = JSON.parse(text(await shell.execute("recv a")));
  assertEquals(who, { path: "/room?x=1", subprotocol: "chat", "x-test": "yes" });
  await shell.execute('send a "hello there"');
  const hello = as(await shell.execute("recv a"), "data");
  assertEquals([text(hello), hello.message], ["hello there", "text"]);
  await shell.execute("send a --binary hex:00ff7f");
  const bin = as(await shell.execute("recv a"), "data");
  assertEquals([Array.from(bin.data), bin.message], [[0, 255, 127], "binary"]);
  assertMatch(renderResult(bin, shell.settings), /\(binary\)$/);
});

Deno.test("one recv is one message: two messages are never joined, recvline and expect read within one", async () => {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute(`open ws a ws://127.0.0.1:${port}/`);
  await shell.execute('send a "one\\ntwo"');
  await shell.execute("send a three");
  await eventually(() => shell.registry.get("a", "test").info().buffered === 12, "both echoes");
  assertEquals(text(await shell.execute("recvline a")), "one\n");
  assertEquals(text(await shell.execute("recv a")), "two");
  assertEquals(text(await shell.execute("recv a")), "three");
  assertMatch(await failure(shell, "recvline a --timeout 50ms"), /timed out/);
  await shell.execute('send a "alpha beta"');
  await shell.execute("send a gamma");
  assertEquals(text(await shell.execute("expect a /beta/")), "alpha beta");
  assertEquals(
    await failure(shell, "expect a /zzz/"),
    'error: Cannot expect on "a": the next message (5 bytes) does not match /zzz/ ' +
      '(5 bytes kept in buffer: "gamma")',
  );
  assertEquals(text(await shell.execute("recv a")), "gamma");
});

Deno.test("a 1 MiB message goes to Python's server and comes back whole in one recv", async () => {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  await using shell = new Shell({ timeout: 10_000 });
  await shell.execute(`open ws a ws://127.0.0.1:${port}/`);
  const dir = await Deno.makeTempDir();
  const big = new Uint8Array(1 << 20).map((_, i) => i % 251);
  await Deno.writeFile(`${dir}/big.bin`, big);
  try {
    assertEquals(
      as(await shell.execute(`send a --binary @${dir}/big.bin`), "message").text,
      "sent 1048576 bytes to a",
    );
    const back = as(await shell.execute("recv a"), "data");
    assertEquals(back.data.length, big.length);
    assert(back.data.every((b, i) => b === big[i]), "the echo differs");
    assertEquals(back.message, "binary");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ping gets Python's pong, and a ping from Python is answered", async () => {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute(`open ws a ws://127.0.0.1:${port}/`);
  assertEquals(as(await shell.execute("ping a"), "message").text, "pong from a");
  assertMatch(as(await shell.execute("ping a hello --time"), "message").text, /^pong from a in /);
  await shell.execute('send a "ping me"');
  assertEquals(text(await shell.execute("recv a")), "pong received");
});

Deno.test("Python's server closing with 1000 and with 1008 shows the code and reason", async () => {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  const events: SocketEvent[] = [];
  shell.registry.subscribe((e) => events.push(e));
  await shell.execute(`open ws a ws://127.0.0.1:${port}/`);
  await shell.execute(`open ws b ws://127.0.0.1:${port}/`);
  await shell.execute('send a "close 1000 bye"');
  await shell.execute('send b "close 1008 policy violated"');
  assertMatch(await failure(shell, "recv a"), /end of stream, peer closed/);
  assertMatch(await failure(shell, "recv b"), /end of stream, peer closed/);
  const rows = as(await shell.execute("ls a b"), "table").rows;
  assertMatch(rows[0][8], /peer closed 1000 "bye"/);
  assertMatch(rows[1][8], /peer closed 1008 "policy violated"/);
  const closes = events.filter((e) => e.type === "peer-closed").map((e) =>
    e.type === "peer-closed" ? `${e.name} ${e.reason}` : ""
  );
  assertEquals(closes.sort(), ['a close 1000 "bye"', 'b close 1008 "policy violated"']);
});

Deno.test("a server that rejects the handshake with HTTP 403 is a one-line error naming it", async () => {
  const { peer, port } = await wsEchoServer(["--reject", "403"]);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  assertEquals(
    await failure(shell, `open ws a ws://127.0.0.1:${port}/`),
    'error: Cannot open "a": the server answered HTTP 403 Forbidden, not 101 Switching Protocols',
  );
  assertEquals(shell.registry.all().length, 0);
});

Deno.test("wss verifies Python's server against the test CA", async () => {
  await using certs = await makeTestCerts();
  const { peer, port } = await wsEchoServer(["--cert", certs.leaf, "--key", certs.leafKey]);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  assertMatch(
    await failure(shell, `open wss x wss://localhost:${port}/`),
    /Cannot open "x": TLS handshake with localhost:\d+ failed/,
  );
  const a = as(
    await shell.execute(`open wss a wss://localhost:${port}/ --ca ${certs.ca}`),
    "socket",
  );
  assertMatch(a.info.note ?? "", /tls TLSv1\.[23]; peer CN=localhost/);
  await shell.execute("send a secure");
  assertEquals(text(await shell.execute("recv a")), "secure");
  await shell.execute("close a");
});

/**
 * Runs tests/python/ws_client.py against `url`; sockit plays the server's part meanwhile and
 * ends with a close of `code` and a reason.
 */
async function pythonClient(shell: Shell, url: string, extra: string[] = [], code = 1008) {
  const client = spawnPeer(PYTHON, ["-u", pythonScript("ws_client.py"), url, ...extra]);
  await client.waitFor(/^open chat$/m, 10_000);
  const child = "w.1";
  assertEquals(text(await shell.execute(`recv ${child}`)), "hello from python");
  await shell.execute(`send ${child} "hello from sockit"`);
  await client.waitFor(/^text 'hello from sockit'$/m);
  const bin = as(await shell.execute(`recv ${child}`), "data");
  assertEquals([Array.from(bin.data), bin.message], [[0, 1, 255], "binary"]);
  await shell.execute(`send ${child} --binary hex:0001ff`);
  await client.waitFor(/^binary b'\\x00\\x01\\xff'$/m);
  await client.waitFor(/^pong$/m);
  const big = as(await shell.execute(`recv ${child}`), "data");
  assertEquals(big.data.length, 1 << 20);
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/big.bin`, big.data);
  await shell.execute(`send ${child} --binary @${dir}/big.bin`);
  await Deno.remove(dir, { recursive: true });
  await client.waitFor(/^big 1048576 True$/m, 10_000);
  await shell.execute(`close ${child} --code ${code} --reason "no more"`);
  await client.waitFor(new RegExp(`^closed ${code} no more$`, "m"));
  assertEquals(await client.exited(), 0);
  const row = as(await shell.execute(`ls ${child}`), "table").rows[0];
  assertEquals(row[2], "closed");
  assertMatch(row[8], new RegExp(`sent close ${code} "no more"; peer closed ${code}`));
}

Deno.test("listen ws serves Python's websockets client: messages, 1 MiB, ping, close 1008", async () => {
  await using shell = new Shell({ timeout: 10_000 });
  const w = as(await shell.execute("listen ws w 127.0.0.1:0 --path /sock"), "socket");
  await pythonClient(shell, `ws://${w.info.local}/sock`);
});

Deno.test("listen wss serves Python's client that verifies the test CA, and closes with 1000", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 10_000 });
  const w = as(
    await shell.execute(`listen wss w 127.0.0.1:0 --cert ${certs.leaf} --key ${certs.leafKey}`),
    "socket",
  );
  const port = w.info.local.split(":")[1];
  await pythonClient(shell, `wss://localhost:${port}/`, ["--ca", certs.ca], 1000);
});

Deno.test("listen ws refuses a request for another --path with HTTP 404", async () => {
  await using shell = new Shell({ timeout: 5000 });
  const w = as(await shell.execute("listen ws w 127.0.0.1:0 --path /only"), "socket");
  assertEquals(
    await failure(shell, `open ws a ws://${w.info.local}/other`),
    'error: Cannot open "a": the server answered HTTP 404 Not Found, not 101 Switching Protocols',
  );
  await eventually(
    () => /asked for \/other/.test(shell.registry.get("w.1", "t").info().note ?? ""),
    "the note",
  );
});
