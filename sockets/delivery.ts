/**
 * Segmentation on purpose: how a socket hands received bytes to its buffer when a test asks for
 * it (`sockit test --chunk N --delay D`). Every chunk the transport read is delivered in pieces
 * of at most `chunk` bytes, each after `delay` ms (or, without a delay, after the event loop had
 * a turn, so that a waiting read sees every piece apart). A script that passes only because its
 * bytes happened to arrive in one read fails under it.
 *
 * @example Delivering a read one byte at a time
 * ```ts
 * import assert from "node:assert/strict";
 * import { deliver } from "./delivery.ts";
 * const pieces: string[] = [];
 * await deliver(new TextEncoder().encode("abc"), { chunk: 1, delay: 0 }, (piece) => {
 *   pieces.push(new TextDecoder().decode(piece));
 * });
 * assert.deepEqual(pieces, ["a", "b", "c"]);
 * ```
 *
 * @module
 */

/**
 * How received bytes reach the buffer: in pieces of at most `chunk` bytes, `delay` ms apart.
 *
 * @example sockit test --chunk 1: received bytes reach the buffer one at a time
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { Delivery } from "./delivery.ts";
 * const delivery: Delivery = { chunk: 1, delay: 0 };
 * await using shell = new Shell({ delivery });
 * const srv = await shell.execute("listen tcp srv 127.0.0.1:0");
 * if (srv.kind !== "socket") throw new Error("listen failed");
 * await shell.execute(`open tcp a ${srv.info.local}`);
 * await shell.execute("accept srv");
 * await shell.execute('send a "abc"');
 * const got = await shell.execute("recvexact srv.1 3");
 * assert.equal(got.kind === "data" && new TextDecoder().decode(got.data), "abc");
 * assert.equal(shell.registry.delivery, delivery);
 * ```
 */
export interface Delivery {
  /** Largest piece in bytes (0 or Infinity: whole reads). */
  chunk: number;
  /** Milliseconds before each piece is delivered (0: only an event-loop turn). */
  delay: number;
}

/** A macrotask turn without the 4 ms clamp of nested timers (a MessageChannel round trip). */
function turn(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(0);
    port2.close();
  });
}

/** Waits as long as `delivery` says before one piece (or one datagram) is delivered. */
export function pause(delivery: Delivery): Promise<void> {
  if (delivery.delay > 0) return new Promise((r) => setTimeout(r, delivery.delay));
  return turn();
}

/**
 * Hands `bytes` to `push` as `delivery` says, piece by piece; stops early when `stopped()`
 * turns true (the socket closed meanwhile). `push` must copy what it keeps: the pieces are views
 * of `bytes`.
 */
export async function deliver(
  bytes: Uint8Array,
  delivery: Delivery,
  push: (piece: Uint8Array) => void,
  stopped: () => boolean = () => false,
): Promise<void> {
  const size = delivery.chunk > 0 ? delivery.chunk : bytes.length;
  for (let at = 0; at < bytes.length; at += size) {
    await pause(delivery);
    if (stopped()) return;
    push(bytes.subarray(at, at + size));
  }
}
