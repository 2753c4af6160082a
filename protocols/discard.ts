import type { DatagramHandler, Peer, ServerConn, StreamHandler } from "./server.ts";

/** Discard (RFC 863): reads everything and sends nothing. */
export function discardStream(): StreamHandler {
  return {
    async serve(conn: ServerConn, peer: Peer) {
      let buf = new Uint8Array(4 * 1024);
      while (true) {
        const n = await conn.read(buf);
        if (n === null) return;
        peer.bytesIn += n;
        if (n === buf.length && buf.length < 256 * 1024) buf = new Uint8Array(buf.length * 4);
      }
    },
  };
}

/** UDP discard: datagrams are dropped. */
export function discardDatagram(): DatagramHandler {
  return { receive: () => Promise.resolve() };
}
