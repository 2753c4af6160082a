/**
 * A `node:net` TCP connection as a {@link StreamTransport}, for what `Deno.connect` cannot do:
 * choose the source address and port (`open … --bind`) and set the keepalive idle time
 * (`--keepalive D`; a Deno `TcpConn` can only switch keepalive on, with the system's idle
 * time). Plain dials keep using `Deno.connect`, which is faster per read.
 *
 * @module
 */

import net from "node:net";
import type { StreamTransport } from "./stream_socket.ts";
import { NodeReads } from "./node_reads.ts";

/** Where to connect from and how: all optional. */
export interface NodeConnectOptions {
  /** Source address (`--bind`). */
  localAddress?: string;
  /** Source port (`--bind ADDR:PORT`); 0 or absent: any. */
  localPort?: number;
  /** Turn Nagle off (TCP_NODELAY). */
  nodelay?: boolean;
  /** Keepalive idle time in ms; absent: keepalive off. */
  keepalive?: number;
}

/** A connected `node:net` socket: reads queue in order, writes resolve once handed over. */
export class NodeTcpConn implements StreamTransport {
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  #socket: net.Socket;
  #reads: NodeReads;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.localAddr = {
      transport: "tcp",
      hostname: socket.localAddress ?? "",
      port: socket.localPort ?? 0,
    };
    this.remoteAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    this.#reads = new NodeReads(socket);
  }

  read(p: Uint8Array): Promise<number | null> {
    return this.#reads.read(p);
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#reads.error) return Promise.reject(this.#reads.error);
    if (this.#socket.destroyed) {
      return Promise.reject(new Deno.errors.BadResource("the connection is closed"));
    }
    const copy = p.slice();
    return new Promise((resolve, reject) => {
      this.#socket.write(copy, (error) => error ? reject(error) : resolve(copy.length));
    });
  }

  closeWrite(): Promise<void> {
    const socket = this.#socket;
    if (socket.destroyed || socket.writableFinished) return Promise.resolve();
    // end()'s callback never comes for a socket destroyed meanwhile: its close ends the wait.
    return new Promise((resolve) => {
      const done = () => {
        socket.off("close", done);
        resolve();
      };
      socket.once("close", done);
      socket.end(done);
    });
  }

  close(): void {
    this.#socket.destroy();
    this.#reads.end();
  }

  /** An abortive close: the peer gets a TCP RST (`resetAndDestroy`), not an end of stream. */
  reset(): void {
    if (!this.#socket.destroyed) this.#socket.resetAndDestroy();
    this.#reads.end();
  }

  /** TCP_NODELAY on (Nagle off) or off. */
  setNoDelay(on: boolean): void {
    this.#socket.setNoDelay(on);
  }

  /** SO_KEEPALIVE, with the idle time before the first probe in ms (rounded to seconds). */
  setKeepAlive(on: boolean, idleMs?: number): void {
    this.#socket.setKeepAlive(on, idleMs ?? 0);
  }
}

/**
 * Connects with `node:net`, from `localAddress:localPort` when given. Rejects with node's
 * error (its `code`: `ECONNREFUSED`, `EADDRINUSE`, …) for the caller to word; `signal` ends
 * the attempt.
 */
export function nodeConnect(
  host: string,
  port: number,
  options: NodeConnectOptions,
  signal?: AbortSignal,
): Promise<NodeTcpConn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host,
      port,
      localAddress: options.localAddress,
      localPort: options.localPort || undefined,
    });
    const onAbort = () => {
      socket.destroy();
      reject(new DOMException("cancelled", "AbortError"));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const onError = (error: Error) => {
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(error);
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", onError);
      socket.setNoDelay(options.nodelay ?? true);
      if (options.keepalive !== undefined) socket.setKeepAlive(true, options.keepalive);
      resolve(new NodeTcpConn(socket));
    });
  });
}
