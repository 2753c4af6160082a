import { writeAll } from "./_io.ts";
import type { Framer } from "./framing.ts";
import type { DatagramHandler, Peer, ServerConn, StreamHandler } from "./server.ts";

const FIRST_READ = 4 * 1024;
const MAX_READ = 256 * 1024;

/**
 * Echo (RFC 862): every byte comes back as received. The loop reads into one reused buffer and
 * writes the same view back; the buffer starts at 4 KiB (5,000 idle clients cost little) and
 * grows to 256 KiB while reads keep filling it (bulk transfers move in large writes).
 *
 * With a frame, each whole message is echoed in the same frame (a malformed frame ends the
 * connection).
 */
export function echoStream(frame?: Framer): StreamHandler {
  if (frame) return framedEcho(frame);
  return {
    async serve(conn: ServerConn, peer: Peer) {
      let buf = new Uint8Array(FIRST_READ);
      while (true) {
        const n = await conn.read(buf);
        if (n === null) return;
        peer.bytesIn += n;
        await writeAll(conn, n === buf.length ? buf : buf.subarray(0, n));
        peer.bytesOut += n;
        if (n === buf.length && buf.length < MAX_READ) buf = new Uint8Array(buf.length * 4);
      }
    },
  };
}

function framedEcho(frame: Framer): StreamHandler {
  return {
    async serve(conn: ServerConn, peer: Peer) {
      const decoder = frame.decoder();
      const buf = new Uint8Array(16 * 1024);
      while (true) {
        const n = await conn.read(buf);
        if (n === null) return;
        peer.bytesIn += n;
        for (const message of decoder.push(buf.subarray(0, n))) {
          const out = frame.encode(message);
          await writeAll(conn, out);
          peer.bytesOut += out.length;
        }
      }
    },
  };
}

/** UDP echo: each datagram goes back to its sender unchanged. */
export function echoDatagram(): DatagramHandler {
  return { receive: (data, _peer, reply) => reply(data) };
}
