/**
 * The one place where every byte a named socket moves can be observed: the read pump, the
 * stream writer and the UDP sends call the socket's {@link SocketTap} (when one is attached)
 * right where they count `bytesIn` and `bytesOut`. With no tap attached the cost is one field
 * read per chunk. A logger (`log/`) is the tap; the registry attaches it to every socket.
 *
 * @module
 */
import type { NamedSocket } from "./named_socket.ts";

/**
 * Which way bytes went: `in` from the peer, `out` to it.
 *
 * @example A tap sees which way bytes went
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Direction, SocketTap } from "./tap.ts";
 * const moved: Record<Direction, number> = { in: 0, out: 0 };
 * const tap: SocketTap = {
 *   added: () => {},
 *   data: (_socket, dir, bytes) => void (moved[dir] += bytes.length),
 *   shutdown: () => {},
 * };
 * tap.data({} as never, "out", new Uint8Array(5));
 * assert.deepEqual(moved, { in: 0, out: 5 });
 * ```
 */
export type Direction = "in" | "out";

/**
 * Sees a socket's bytes and the facts its events do not carry. Each call must use `bytes`
 * before it returns (the caller reuses the buffer), unless they are stable (`isStable` of
 * grammar/bytes.ts), which may be kept. `data` may return a promise to hold the transfer back
 * while the tap catches up (a log file writing behind).
 *
 * @example A tap that counts bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import type { SocketTap } from "./tap.ts";
 * let seen = 0;
 * const tap: SocketTap = {
 *   added: () => {},
 *   data: (_socket, _dir, bytes) => void (seen += bytes.length),
 *   shutdown: () => {},
 * };
 * tap.data({} as never, "in", new Uint8Array(3));
 * assert.equal(seen, 3);
 * ```
 */
export interface SocketTap {
  /** A socket joined the registry (opened, accepted, bound). */
  added(socket: NamedSocket): void;
  /**
   * Bytes moved; `peer` is the other address of a datagram (UDP), `kind` a WebSocket message's
   * (`bytes` is then its payload, one call per message).
   */
  data(
    socket: NamedSocket,
    dir: Direction,
    bytes: Uint8Array,
    peer?: string,
    kind?: "text" | "binary",
  ): Promise<void> | void;
  /** Our side was shut down for writing (the peer sees end of stream). */
  shutdown(socket: NamedSocket): void;
}
