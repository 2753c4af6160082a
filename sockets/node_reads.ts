/**
 * The read side of a `node:net` or `node:tls` socket as `read(p)`: the socket's `data` events
 * queue in order, a read takes from the queue (or waits for it), `end`/`close` give end of
 * stream and `error` the error. Above {@link HIGH_WATER} queued bytes the socket pauses until
 * reads bring the queue down to a quarter of it, so a fast peer cannot fill memory.
 *
 * @module
 */

/** What {@link NodeReads} needs of a node socket. */
export interface NodeReadable {
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  on(event: "end" | "close", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  isPaused(): boolean;
}

/** Above this many queued bytes the socket stops reading until reads take some: 1 MiB. */
export const HIGH_WATER = 1024 * 1024;

/**
 * A node socket's received bytes, read as a Deno connection reads.
 *
 * @example Reading what a node socket received, then its end of stream
 * ```ts
 * import assert from "node:assert/strict";
 * import net from "node:net";
 * import { NodeReads } from "./node_reads.ts";
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const socket = net.connect(listener.addr.port, "127.0.0.1");
 * const reads = new NodeReads(socket);
 * const peer = await listener.accept();
 * await peer.write(new TextEncoder().encode("hi"));
 * peer.closeWrite();
 * const buf = new Uint8Array(8);
 * assert.equal(await reads.read(buf), 2);
 * assert.equal(await reads.read(buf), null);
 * socket.destroy();
 * peer.close();
 * ```
 */
export class NodeReads {
  #socket: NodeReadable;
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #stopped = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  /** Follows `socket`; `mapError` words its errors (default: as node gives them). */
  constructor(socket: NodeReadable, mapError: (error: Error) => Error = (error) => error) {
    this.#socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      // Kept as given, not copied: each chunk is a fresh buffer of its own (node's default
      // allocation; tests/node_reads_test.ts checks it holds in this runtime).
      this.#chunks.push(chunk);
      this.#queued += chunk.length;
      if (this.#queued > HIGH_WATER) socket.pause();
      this.#notify();
    });
    socket.on("end", () => this.end());
    socket.on("error", (error: Error) => {
      this.#error ??= mapError(error);
      this.#notify();
    });
    socket.on("close", () => this.end());
  }

  /** The socket's first error, if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Marks end of stream (after what is queued) and wakes a waiting read. */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  /** Closed by its owner: once the queue is empty, reads give end of stream, error or not. */
  stop(): void {
    this.#stopped = true;
    this.#notify();
  }

  /** Wakes a waiting read so that it looks again (the caller's state changed). */
  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Up to `p.length` bytes into `p`: their count, or null at end of stream; throws the error. */
  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#stopped) return null;
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const head = this.#chunks[0];
    const n = Math.min(p.length, head.length);
    p.set(head.subarray(0, n));
    if (n === head.length) this.#chunks.shift();
    else this.#chunks[0] = head.subarray(n);
    this.#queued -= n;
    if (this.#queued <= HIGH_WATER / 4 && this.#socket.isPaused()) this.#socket.resume();
    return n;
  }
}
