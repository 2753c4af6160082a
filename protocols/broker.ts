import { BroadcastLog, Outbox } from "./broadcast.ts";
import { CHAT_MAX_QUEUE } from "./chat.ts";
import type { Peer, ServerConn, StreamHandler } from "./server.ts";

/** Broker settings; all optional. */
export interface BrokerOptions {
  /**
   * Bytes that may wait to be written to one client (default 1 MiB, as the chat room). A client
   * that falls further behind is dropped with a notice, so it never holds up the others.
   */
  maxQueue?: number;
}

interface Client {
  conn: ServerConn;
  peer: Peer;
  outbox: Outbox;
  gone: boolean;
}

/**
 * ncat's `--broker`: the bytes each client sends go to every other client unchanged, in the
 * order they were read (no nicknames, no framing). Each chunk is stored once in the shared
 * broadcast log and queued to the others as a range of it; a client whose queue passes
 * `maxQueue` is dropped (the chat room's slow-client rule, from broadcast.ts).
 *
 * @example Two clients of a broker
 * ```ts
 * import assert from "node:assert/strict";
 * import { startServer } from "./mod.ts";
 *
 * await using server = await startServer("broker", "tcp", "127.0.0.1:0");
 * const { port } = server.addr as Deno.NetAddr;
 * const a = await Deno.connect({ hostname: "127.0.0.1", port });
 * const b = await Deno.connect({ hostname: "127.0.0.1", port });
 * while (server.stats().active < 2) await new Promise((r) => setTimeout(r, 1));
 * await a.write(new TextEncoder().encode("hi"));
 * const buf = new Uint8Array(2);
 * let got = 0;
 * while (got < 2) got += (await b.read(buf.subarray(got)))!;
 * assert.equal(new TextDecoder().decode(buf), "hi");
 * a.close();
 * b.close();
 * ```
 */
export function broker(options: BrokerOptions = {}): StreamHandler & { clients(): number } {
  const maxQueue = options.maxQueue ?? CHAT_MAX_QUEUE;
  const clients = new Set<Client>();
  const log = new BroadcastLog();

  const drop = (c: Client, queued: number) => {
    c.gone = true;
    clients.delete(c);
    c.peer.notice(`dropped: not reading (${queued} bytes queued)`, true);
    try {
      c.conn.close(); // ends its read loop
    } catch { /* already closed */ }
  };

  return {
    clients: () => clients.size,
    async serve(conn: ServerConn, peer: Peer) {
      const c: Client = { conn, peer, gone: false } as Client;
      c.outbox = new Outbox(conn, peer, maxQueue, (queued) => drop(c, queued));
      clients.add(c);
      const buf = new Uint8Array(16 * 1024);
      try {
        while (!c.gone) {
          const n = await conn.read(buf);
          if (n === null) break;
          peer.bytesIn += n;
          const at = log.append(buf.subarray(0, n));
          for (const other of clients) if (other !== c) other.outbox.pushShared(at);
        }
      } catch (error) {
        if (c.gone) return; // dropped: the drop closed the connection
        throw error;
      } finally {
        clients.delete(c);
      }
      await c.outbox.idle(); // what others sent before it left still reaches it
    },
  };
}
