/** `sockit ws URL`: stdin lines to messages, messages to stdout lines, against Python's server. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { SOCKIT_RUN } from "./_helpers.ts";
import { spawnPeer } from "./_peers.ts";
import { wsEchoServer } from "./_ws_peers.ts";

Deno.test("sockit ws pipes stdin lines to Python's echo server and its messages to stdout", async () => {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  // Input ends only once the last echo is back: the close that end of input sends would race
  // the server's echo of the line just before it (websockets stops sending once it sees a close).
  await using run = spawnPeer(Deno.execPath(), [...SOCKIT_RUN, "ws", `ws://127.0.0.1:${port}/`]);
  await run.write("hello\r\nworld\nla");
  await run.waitFor(/^world$/m);
  await run.write("st\n"); // a line split across two reads is one message
  await run.waitFor(/^last$/m);
  await run.endInput();
  assertEquals(await run.exited(), 0);
  assertEquals([run.stdout(), run.stderr()], ["hello\nworld\nlast\n", ""]);
});

Deno.test("sockit ws says when the server closes with a code other than 1000 and exits 1", async () => {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  // stdin stays open: the server's close, not the end of input, ends the pipe.
  await using run = spawnPeer(Deno.execPath(), [...SOCKIT_RUN, "ws", `ws://127.0.0.1:${port}/`]);
  await run.write("one\n");
  await run.waitFor(/^one$/m);
  await run.write("close 1008 go away\n");
  await run.waitFor(/ws: the peer closed with 1008 go away/, 5000, "stderr");
  assertEquals(await run.exited(), 1);
});

Deno.test("sockit ws --binary sends stdin as binary messages and writes them raw", async () => {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  await using run = spawnPeer(Deno.execPath(), [
    ...SOCKIT_RUN,
    "ws",
    "--binary",
    `ws://127.0.0.1:${port}/`,
  ]);
  await run.write("no newline added");
  await run.waitFor(/no newline added$/);
  await run.endInput();
  assertEquals([await run.exited(), run.stdout()], [0, "no newline added"]);
});
