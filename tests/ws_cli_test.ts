/**
 * `sockit connect ws://…` and its twin `sockit ws URL`: stdin lines to messages, messages to
 * stdout lines, against Python's websockets server.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { sockit, SOCKIT_RUN } from "./_helpers.ts";
import { makeTestCerts, spawnPeer } from "./_peers.ts";
import { wsEchoServer } from "./_ws_peers.ts";
import { startSockit } from "./_cli_process.ts";

for (const command of [["connect"], ["ws"]]) {
  Deno.test(`sockit ${command[0]} ws:// pipes stdin lines to Python's echo server and its messages to stdout`, async () => {
    const { peer, port } = await wsEchoServer();
    await using _peer = peer;
    // Input ends only once the last echo is back: the close that end of input sends would race
    // the server's echo of the line just before it (websockets stops sending once it sees a close).
    await using run = spawnPeer(Deno.execPath(), [
      ...SOCKIT_RUN,
      ...command,
      `ws://127.0.0.1:${port}/`,
    ]);
    await run.write("hello\r\nworld\nla");
    await run.waitFor(/^world$/m);
    await run.write("st\n"); // a line split across two reads is one message
    await run.waitFor(/^last$/m);
    await run.endInput();
    assertEquals(await run.exited(), 0);
    assertEquals([run.stdout(), run.stderr()], ["hello\nworld\nlast\n", ""]);
  });
}

Deno.test("sockit connect ws:// says when the server closes with a code other than 1000 and exits 1", async () => {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  // stdin stays open: the server's close, not the end of input, ends the pipe.
  await using run = spawnPeer(Deno.execPath(), [
    ...SOCKIT_RUN,
    "connect",
    `ws://127.0.0.1:${port}/`,
  ]);
  await run.write("one\n");
  await run.waitFor(/^one$/m);
  await run.write("close 1008 go away\n");
  // exited() ends the input: only once the pipe has ended on its own.
  await run.waitFor(/the peer closed/, 5000, "stderr");
  assertEquals([await run.exited(), run.stderr()], [
    1,
    'error: connect: the peer closed with 1008 "go away"\n',
  ]);
});

Deno.test("sockit connect ws:// exits 0 when the server closes with 1000, stdin still open", async () => {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  await using run = spawnPeer(Deno.execPath(), [
    ...SOCKIT_RUN,
    "connect",
    "-v",
    `ws://127.0.0.1:${port}/`,
  ]);
  await run.write("close 1000\n");
  await run.waitFor(/^closed /m, 5000, "stderr");
  assertEquals(await run.exited(), 0);
  assertMatch(run.stderr(), /^connected to ws 127\.0\.0\.1:\d+\nclosed 127\.0\.0\.1:\d+\n$/);
});

Deno.test("sockit connect --binary ws:// sends stdin as binary messages and writes them raw", async () => {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  await using run = spawnPeer(Deno.execPath(), [
    ...SOCKIT_RUN,
    "connect",
    "--binary",
    `ws://127.0.0.1:${port}/`,
  ]);
  await run.write("no newline added");
  await run.waitFor(/no newline added$/);
  await run.endInput();
  assertEquals([await run.exited(), run.stdout()], [0, "no newline added"]);
});

Deno.test("sockit connect wss:// verifies Python's server against the test CA", async () => {
  await using certs = await makeTestCerts();
  const { peer, port } = await wsEchoServer(["--cert", certs.leaf, "--key", certs.leafKey]);
  await using _peer = peer;
  const url = `wss://localhost:${port}/`;
  const untrusted = await sockit(["connect", url], "");
  assertEquals(untrusted.code, 1);
  assertMatch(untrusted.stderr, new RegExp(`^error: Cannot connect to "${url}": TLS handshake`));
  await using run = spawnPeer(Deno.execPath(), [...SOCKIT_RUN, "connect", url, "--ca", certs.ca]);
  await run.write("secure\n");
  await run.waitFor(/^secure$/m);
  await run.endInput();
  assertEquals([await run.exited(), run.stdout()], [0, "secure\n"]);
});

Deno.test("sockit connect ws:// to a server that rejects the handshake with 403 is one line, exit 1", async () => {
  const { peer, port } = await wsEchoServer(["--reject", "403"]);
  await using _peer = peer;
  const url = `ws://127.0.0.1:${port}/`;
  const run = await sockit(["connect", url], "hi\n");
  assertEquals([run.code, run.stdout], [1, ""]);
  assertEquals(
    run.stderr,
    `error: Cannot connect to "${url}": the server answered HTTP 403 Forbidden, ` +
      "not 101 Switching Protocols\n",
  );
});

Deno.test("sockit ws takes only a URL and points elsewhere for other transports (exit 2)", async () => {
  const run = await sockit(["ws", "127.0.0.1:9"], "");
  assertEquals([run.code, run.stderr], [
    2,
    'error: Cannot connect to "127.0.0.1:9": sockit ws takes a ws:// or wss:// URL; ' +
    "other transports: sockit connect 127.0.0.1:9\n",
  ]);
  const ftp = await sockit(["connect", "ftp://127.0.0.1:9"], "");
  assertEquals(ftp.code, 2);
  assertMatch(ftp.stderr, /^error: Cannot connect to "ftp:\/\/127\.0\.0\.1:9": ftp:\/\/ is no URL/);
});

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`sockit connect ws:// ended by ${signal} closes with 1001 "going away" and exits ${code}`, async () => {
    const { peer, port } = await wsEchoServer();
    await using _peer = peer;
    await using run = startSockit(["connect", `ws://127.0.0.1:${port}/`]);
    await run.write("one\n");
    await run.waitFor(/^one$/m);
    run.kill(signal);
    assertEquals((await run.exited()).code, code);
    await peer.waitFor(/^closed (\d+) (.*)$/m);
    assertMatch(peer.stdout(), /^closed 1001 going away$/m);
  });
}
