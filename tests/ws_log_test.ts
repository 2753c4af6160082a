/**
 * A WebSocket session logged like every other transport: each message is a data event (its
 * payload and kind) in JSON Lines, and the payload stream of a TCP connection in pcap.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { wsEchoServer } from "./_ws_peers.ts";

/** Talks text and binary with Python's echo server under `log start FILE`. */
async function loggedSession(file: string): Promise<void> {
  const { peer, port } = await wsEchoServer();
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute(`log start ${file}`);
  await shell.execute(`open ws a ws://127.0.0.1:${port}/`);
  await shell.execute("send a hello");
  await shell.execute("recv a");
  await shell.execute("send a --binary hex:00ff");
  await shell.execute("recv a");
  await shell.execute("close a");
  await shell.execute("log stop");
}

Deno.test("log start on a ws session writes each message as a data event with its kind", async () => {
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await loggedSession(file);
    const records = (await Deno.readTextFile(file)).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(records[0].transport, "ws");
    const data = records.filter((r) => r.event === "data")
      .map((r) => [r.dir, r.kind, r.size, r.bytes]);
    assertEquals(data, [
      ["out", "text", 5, btoa("hello")],
      ["in", "text", 5, btoa("hello")],
      ["out", "binary", 2, btoa("\x00\xff")],
      ["in", "binary", 2, btoa("\x00\xff")],
    ]);
    assertEquals(records.at(-1).reason, "sent 1000, peer 1000");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a pcap log of a ws session holds the messages' payloads as a TCP stream tshark follows", async () => {
  const file = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    await loggedSession(file);
    const out = await new Deno.Command("tshark", {
      args: ["-r", file, "-qz", "follow,tcp,raw,0"],
      stdout: "piped",
      stderr: "null",
    }).output();
    const lines = new TextDecoder().decode(out.stdout).split("\n");
    const sent = lines.filter((l) => /^[0-9a-f]+$/.test(l)).join("");
    const received = lines.filter((l) => /^\t[0-9a-f]+$/.test(l)).map((l) => l.slice(1)).join("");
    // "hello" then 00 ff each way: no HTTP upgrade, no frame headers, no masks.
    assertEquals([sent, received], ["68656c6c6f00ff", "68656c6c6f00ff"]);
  } finally {
    await Deno.remove(file);
  }
});
