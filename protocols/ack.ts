import { quote } from "../grammar/render.ts";
import { utf8, writeAll } from "./_io.ts";
import { type Framer, framer } from "./framing.ts";
import type { DatagramHandler, Peer, ServerConn, StreamHandler } from "./server.ts";

/** The longest line the ack server waits for without a newline: 64 KiB. */
export const ACK_MAX_LINE = 64 * 1024;

/**
 * The confirmation for message number `n` (counted from 1 per connection): `ACK n "text"`,
 * the text quoted with sockit's payload escapes (so it reads back with `send`).
 *
 * @example The reply to the first line "hello"
 * ```ts
 * import assert from "node:assert/strict";
 * import { ackReply } from "./ack.ts";
 * assert(ackReply(1, new TextEncoder().encode("hello")) === 'ACK 1 "hello"');
 * ```
 */
export function ackReply(n: number, message: Uint8Array): string {
  return `ACK ${n} ${quote(message)}`;
}

/**
 * The "test server" of socket tutorials: each line received is answered with
 * `ACK n "line"` and the line's own ending (`\r\n` if it ended so, else `\n`). A last line
 * without a newline is answered at end of stream. With a frame, each message is answered with
 * `ACK n "message"` in that frame.
 */
export function ackStream(frame?: Framer): StreamHandler {
  const lines = !frame;
  const decoderFrame = frame ?? framer("line");
  return {
    async serve(conn: ServerConn, peer: Peer) {
      const decoder = decoderFrame.decoder(lines ? ACK_MAX_LINE : undefined);
      const buf = new Uint8Array(16 * 1024);
      let count = 0;
      const answer = async (message: Uint8Array, ending: string) => {
        const text = ackReply(++count, message);
        const out = lines ? utf8(text + ending) : decoderFrame.encode(utf8(text));
        await writeAll(conn, out);
        peer.bytesOut += out.length;
      };
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        peer.bytesIn += n;
        for (const message of decoder.push(buf.subarray(0, n))) {
          if (lines && message[message.length - 1] === 0x0d) {
            await answer(message.subarray(0, message.length - 1), "\r\n");
          } else await answer(message, "\n");
        }
      }
      const rest = decoder.rest();
      if (lines && rest.length > 0) await answer(rest, "\n");
    },
  };
}

/** UDP ack: each datagram is one message, answered with one datagram `ACK n "message"`. */
export function ackDatagram(): DatagramHandler {
  const counts = new WeakMap<Peer, number>();
  return {
    receive(data, peer, reply) {
      const n = (counts.get(peer) ?? 0) + 1;
      counts.set(peer, n);
      return reply(utf8(ackReply(n, data)));
    },
  };
}
