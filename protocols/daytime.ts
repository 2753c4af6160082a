import { utf8, writeAll } from "./_io.ts";
import type { DatagramHandler, Peer, ServerConn, StreamHandler } from "./server.ts";

/**
 * The daytime line: RFC 867 leaves the format open; sockit sends the RFC 7231 date, e.g.
 * `Sat, 21 Nov 2025 11:07:00 GMT\r\n`.
 */
export function daytimeLine(now: Date = new Date()): Uint8Array {
  return utf8(`${now.toUTCString()}\r\n`);
}

/** Daytime (RFC 867) over a stream: sends the date line on connect, then closes. */
export function daytimeStream(clock: () => Date = () => new Date()): StreamHandler {
  return {
    async serve(conn: ServerConn, peer: Peer) {
      const line = daytimeLine(clock());
      await writeAll(conn, line);
      peer.bytesOut += line.length;
    },
  };
}

/** UDP daytime: any datagram is answered with the date line (its content is ignored). */
export function daytimeDatagram(clock: () => Date = () => new Date()): DatagramHandler {
  return { receive: (_data, _peer, reply) => reply(daytimeLine(clock())) };
}
