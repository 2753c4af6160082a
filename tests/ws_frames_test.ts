import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  throws,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import type { SocketEvent } from "../sockets/named_socket.ts";
import { encodeFrame, FrameReader, OP, WsProtocolError } from "../sockets/ws_frames.ts";
import { as, eventually } from "./_helpers.ts";
import { failure, text } from "./_peers.ts";

const enc = new TextEncoder();

/** A raw client that has done the opening handshake with a sockit `listen ws`. */
async function rawClient(
  address: string,
): Promise<{ conn: Deno.TcpConn; read: () => Promise<Uint8Array> }> {
  const [hostname, port] = address.split(":");
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(enc.encode(
    "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  ));
  let head = "";
  const buf = new Uint8Array(4096);
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`closed during the handshake: ${head}`);
    head += new TextDecoder().decode(buf.subarray(0, n));
  }
  assertMatch(head, /^HTTP\/1\.1 101 [\s\S]*Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
  return {
    conn,
    async read() {
      const n = await conn.read(buf);
      return n === null ? new Uint8Array(0) : buf.slice(0, n);
    },
  };
}

Deno.test("a message in three fragments with a ping between them is one recv", async () => {
  await using shell = new Shell({ timeout: 5000 });
  const w = as(await shell.execute("listen ws w 127.0.0.1:0"), "socket");
  const { conn, read } = await rawClient(w.info.local);
  await conn.write(encodeFrame(OP.text, enc.encode("hel"), { mask: true, fin: false }));
  await conn.write(encodeFrame(OP.ping, enc.encode("p"), { mask: true }));
  await conn.write(encodeFrame(OP.continuation, enc.encode("lo "), { mask: true, fin: false }));
  await conn.write(encodeFrame(OP.continuation, enc.encode("world"), { mask: true }));
  const pong = new FrameReader({ masked: false }).push(await read());
  assertEquals(pong.map((f) => [f.opcode, new TextDecoder().decode(f.payload)]), [[OP.pong, "p"]]);
  assertEquals(text(await shell.execute("recv w.1")), "hello world");
  conn.close();
});

Deno.test("a control frame over 125 bytes closes the connection with 1002 and says why", async () => {
  await using shell = new Shell({ timeout: 5000 });
  const events: SocketEvent[] = [];
  shell.registry.subscribe((e) => events.push(e));
  const w = as(await shell.execute("listen ws w 127.0.0.1:0"), "socket");
  const { conn, read } = await rawClient(w.info.local);
  const wire = encodeFrame(OP.ping, new Uint8Array(126), { mask: true });
  await conn.write(wire);
  const [close] = new FrameReader({ masked: false }).push(await read());
  assertEquals([close.opcode, (close.payload[0] << 8) | close.payload[1]], [OP.close, 1002]);
  const error = await eventually(() => events.find((e) => e.type === "error"), "an error event");
  assertMatch(
    error.type === "error" ? error.message : "",
    /the peer sent a control frame over 125 bytes; closed with 1002/,
  );
  conn.close();
});

Deno.test("an unmasked frame from a client is a protocol error", () => {
  const reader = new FrameReader({ masked: true });
  throws(() => reader.push(encodeFrame(OP.text, enc.encode("x"))), /an unmasked frame/);
});

Deno.test("a frame over the message limit fails before its payload arrives, with 1009", () => {
  const reader = new FrameReader({ masked: false, maxPayload: 1000 });
  const head = encodeFrame(OP.binary, new Uint8Array(1001)).subarray(0, 4);
  throws(() => reader.push(head), (e) => {
    assert(e instanceof WsProtocolError);
    assertEquals([e.closeCode, e.code], [1009, "too-large"]);
    assertMatch(e.message, /a 1001-byte frame, over the message limit of 1000 bytes/);
    return true;
  });
});

Deno.test("frames split into single bytes come out whole", () => {
  const reader = new FrameReader({ masked: true });
  const wire = encodeFrame(OP.text, enc.encode("x".repeat(300)), { mask: true });
  const frames = [...wire].flatMap((b) => reader.push(new Uint8Array([b])));
  assertEquals(frames.length, 1);
  assertEquals(new TextDecoder().decode(frames[0].payload), "x".repeat(300));
});

Deno.test("send refuses bytes that are not UTF-8 as text, and ping and close check their limits", async () => {
  await using shell = new Shell({ timeout: 5000 });
  const w = as(await shell.execute("listen ws w 127.0.0.1:0"), "socket");
  await shell.execute(`open ws a ws://${w.info.local}/`);
  assertEquals(
    await failure(shell, "send a hex:ff"),
    'error: Cannot send to "a": the payload (1 byte) is not UTF-8 text, as a text message ' +
      "must be; send a --binary … sends a binary message",
  );
  assertMatch(await failure(shell, `ping a ${"x".repeat(126)}`), /over the 125-byte limit/);
  assertMatch(await failure(shell, "close a --code 1005"), /--code 1005 is not a close code/);
  assertMatch(await failure(shell, "ping w"), /Cannot ping "w": it is a ws listener/);
  assertMatch(
    await failure(shell, "close w --code 1000"),
    /--code, --reason and --timeout are for ws connections; it is a ws listener/,
  );
});
