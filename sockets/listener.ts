import { SockitError } from "../grammar/errors.ts";
import { startTimer } from "../grammar/duration.ts";
import { type EventSink, NamedSocket, type SocketInfo } from "./named_socket.ts";
import type { StreamSocket } from "./stream_socket.ts";

/** The raw calls a stream listener supplies (a `Deno.Listener` does). */
export interface ListenTransport {
  accept(): Promise<Deno.Conn>;
  close(): void;
  readonly addr: Deno.Addr;
}

/** Turns an accepted connection into a named socket (registered by the caller). */
export type AdoptConn = (childName: string, conn: Deno.Conn) => Promise<StreamSocket>;

/**
 * A named listener. Each accepted connection becomes a named child `NAME.1`, `NAME.2`, …
 * registered at once; `accept()` hands out children in arrival order, waiting for the next
 * when none is unclaimed.
 */
export class Listener extends NamedSocket {
  readonly children: string[] = [];
  #listener: ListenTransport;
  #adopt: AdoptConn;
  #unclaimed: StreamSocket[] = [];
  #waiters: Array<(s: StreamSocket | undefined) => void> = [];
  #count = 0;
  #closed = false;
  #loop: Promise<void>;
  #local: string;

  constructor(
    name: string,
    kind: string,
    listener: ListenTransport,
    emit: EventSink,
    adopt: AdoptConn,
  ) {
    super(name, kind, emit);
    this.#listener = listener;
    this.#adopt = adopt;
    this.#local = NamedSocket.addr(listener.addr);
    this.#loop = this.#acceptLoop();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The bound address, e.g. `127.0.0.1:40211`. */
  get local(): string {
    return this.#local;
  }

  /** The bound address as Deno reports it. */
  get addr(): Deno.Addr {
    return this.#listener.addr;
  }

  info(): SocketInfo {
    return {
      name: this.name,
      kind: this.kind,
      role: "listener",
      state: this.#closed ? "closed" : "listening",
      local: this.#local,
      remote: "-",
      bytesIn: 0,
      bytesOut: 0,
      buffered: this.#unclaimed.length,
      note: this.note,
    };
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closed) return;
        const message = error instanceof Error ? error.message : String(error);
        // A failed handshake or a reset before accept ends one connection, not the listener.
        if (error instanceof Deno.errors.BadResource) return;
        this.emit({ type: "error", name: this.name, message });
        continue;
      }
      if (this.#closed) {
        conn.close();
        return;
      }
      const childName = `${this.name}.${++this.#count}`;
      let child: StreamSocket;
      try {
        child = await this.#adopt(childName, conn);
      } catch (error) {
        try {
          conn.close();
        } catch { /* already gone */ }
        const message = error instanceof Error ? error.message : String(error);
        this.emit({ type: "error", name: childName, message });
        continue;
      }
      this.children.push(childName);
      this.emit({ type: "accepted", name: this.name, child: childName, remote: child.remote });
      const waiter = this.#waiters.shift();
      if (waiter) waiter(child);
      else this.#unclaimed.push(child);
    }
  }

  /**
   * The next accepted child not yet handed out; waits up to `timeout` ms for one.
   * Throws a SockitError on timeout, cancel or close.
   */
  accept(options: { timeout?: number; signal?: AbortSignal } = {}): Promise<StreamSocket> {
    const ready = this.#unclaimed.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#closed) {
      return Promise.reject(new SockitError(`Cannot accept on "${this.name}": listener is closed`));
    }
    return new Promise((resolve, reject) => {
      let cancelTimer: (() => void) | undefined;
      const done = (s: StreamSocket | undefined, why?: string) => {
        cancelTimer?.();
        options.signal?.removeEventListener("abort", onAbort);
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        if (s) resolve(s);
        else {reject(
            new SockitError(`Cannot accept on "${this.name}": ${why ?? "listener closed"}`),
          );}
      };
      const waiter = (s: StreamSocket | undefined) => done(s);
      const onAbort = () => done(undefined, "cancelled");
      this.#waiters.push(waiter);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      if (options.timeout !== undefined) {
        cancelTimer = startTimer(
          options.timeout,
          () => done(undefined, `timed out after ${options.timeout} ms`),
        );
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    for (const w of this.#waiters.splice(0)) w(undefined);
    await this.#loop;
    this.emit({ type: "closed", name: this.name });
  }
}
