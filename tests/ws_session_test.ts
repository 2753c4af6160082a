/** WebSocket sessions: recorded in the shell, replayed green, mocked for a real client. */
import { deepStrictEqual as assertEquals, strictEqual as equal } from "node:assert/strict";
import { attachRecorder, formatFailure, parseScript, replayFile, Shell } from "../mod.ts";
import { startMock } from "../session/mock.ts";
import { as } from "./_helpers.ts";
import { failure, spawnPeer, text } from "./_peers.ts";
import { PYTHON, wsEchoServer } from "./_ws_peers.ts";

Deno.test("a ws session recorded against Python's server replays green, and fails when it differs", async () => {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    {
      await using shell = new Shell({ timeout: 5000 });
      attachRecorder(shell);
      await shell.execute(`record start ${file}`);
      await shell.execute(`open ws a ws://127.0.0.1:${port}/`);
      await shell.execute('send a "hello\\nthere"');
      await shell.execute("recvline a");
      await shell.execute("recv a");
      await shell.execute("send a --binary hex:00ff");
      await shell.execute("recv a");
      await shell.execute("ping a");
      await shell.execute("close a");
      await shell.execute("record stop");
    }
    const lines = (await Deno.readTextFile(file)).split("\n").slice(1);
    assertEquals(lines.slice(2), [
      'send a "hello\\nthere"',
      "  sent 11 bytes to a",
      "recvline a",
      '  "hello\\n"',
      "recv a",
      '  "there"',
      "send a --binary hex:00ff",
      "  sent 2 bytes to a",
      "recv a",
      "  00000000  00 ff                                             |..| (binary)",
      "ping a",
      "  pong from a",
      "close a",
      "  closed a",
      "",
    ]);
    const result = await replayFile(file);
    equal(result.status, "passed", result.failure && formatFailure(result.failure));
    await Deno.writeTextFile(
      file,
      (await Deno.readTextFile(file)).replace('"there"', '"then"'),
    );
    equal((await replayFile(file)).status, "failed");
  } finally {
    await Deno.remove(file);
  }
});

const RECORDING = [
  "open ws c1 ws://127.0.0.1:9/",
  'send c1 "hello from python"',
  "  sent 17 bytes to c1",
  "recv c1",
  '  "hi, python"',
  "recv c1",
  "  00000000  00 01 ff                                          |...|",
  "recv c1",
  '  ! Cannot recv from "c1": end of stream, peer closed (nothing buffered)',
].join("\n");

Deno.test("sockit mock of a ws recording serves WebSocket: text, binary and a close", async () => {
  await using mock = await startMock(parseScript(RECORDING, "ws.sockit"), { timeout: 5000 });
  equal(mock.transport, "ws");
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute(`open ws a ws://${mock.address}/`);
  await shell.execute('send a "hello from python"');
  const hi = as(await shell.execute("recv a"), "data");
  assertEquals([text(hi), hi.message], ["hi, python", "text"]);
  const bin = as(await shell.execute("recv a"), "data");
  assertEquals([Array.from(bin.data), bin.message], [[0, 1, 255], "binary"]);
  assertEquals(
    await failure(shell, "recv a"),
    'error: Cannot recv from "a": end of stream, peer closed (nothing buffered)',
  );
  equal(mock.deviated, 0, mock.diagnostics.join("\n"));
});

Deno.test("the ws mock reports a client that sends a different message", async () => {
  await using mock = await startMock(parseScript(RECORDING, "ws.sockit"), { timeout: 5000 });
  const client = spawnPeer(PYTHON, [
    "-u",
    "-c",
    "import asyncio, sys, websockets\n" +
    "async def main():\n" +
    "  async with websockets.connect(sys.argv[1]) as ws:\n" +
    "    await ws.send('hello from perl')\n" +
    "    try:\n" +
    "      await ws.recv()\n" +
    "    except websockets.ConnectionClosed as e:\n" +
    "      print('closed', e.code)\n" +
    "asyncio.run(main())\n",
    `ws://${mock.address}/`,
  ]);
  await using _client = client;
  await client.waitFor(/^closed 1000$/m);
  equal(mock.deviated, 1);
  equal(
    mock.diagnostics[0],
    "ws.sockit:2: connection 1 (recorded as c1): the client sent different bytes; " +
      'expected "hello from python", got "hello from perl"',
  );
});
