import { SockitError } from "../grammar/errors.ts";
import { type Accepted, AcceptLoop, bind, type BindOptions, type StreamBinding } from "./bind.ts";
import { type EventSink, NamedSocket, type SocketInfo } from "./named_socket.ts";
import type { SocketRegistry } from "./registry.ts";
import { StreamSocket } from "./stream_socket.ts";
import { startTimer } from "../grammar/duration.ts";

/** Below this many, the listener's lists of children are not pruned. */
const PRUNE_MIN = 64;
/** Makes a listener's child from an accepted connection (default: a {@link StreamSocket}). */
export type ChildMaker = (
  name: string,
  accepted: Accepted,
  emit: EventSink,
  /** Call when the child gives its descriptor back (a stream child whose peer closed). */
  released: () => void,
) => NamedSocket & { readonly remote: string };

/** Settings of a {@link Listener}; all optional. */
export interface ListenerOptions {
  /** The kind `ls` shows (default: the binding's, e.g. `tcp`); `ws` over a tcp binding. */
  kind?: string;
  /** Makes each child (default: a stream socket). */
  child?: ChildMaker;
}

/**
 * A named listener. Each accepted connection becomes a named child `NAME.1`, `NAME.2`, …
 * registered at once (numbers whose name an open socket still holds, such as an earlier
 * listener's child, are skipped); `accept()` hands out children in arrival order, waiting for
 * the next when none is unclaimed.
 *
 * Bounds: a child nobody has claimed with `accept()` or sent to gives its descriptor back as
 * soon as its peer closes (its bytes stay readable, its row stays `peer-closed`), and the
 * registry forgets the oldest finished rows past its limit, so connect/drop churn costs
 * neither descriptors nor memory. A claimed child keeps its descriptor, so a peer that only
 * half-closed can still be answered. `close()` leaves the children open;
 * {@link Listener.closeWithChildren} closes them too (`close NAME --all`).
 */
export class Listener extends NamedSocket {
  #binding: StreamBinding;
  #registry: SocketRegistry;
  #unclaimed: NamedSocket[] = [];
  /** Children that may still hold a descriptor (pruned as they finish). */
  #live = new Set<NamedSocket>();
  #pruneAt = PRUNE_MIN;
  #waiters: Array<(s: NamedSocket | undefined) => void> = [];
  #child: ChildMaker;
  #count = 0;
  #closed = false;
  #loop: AcceptLoop;
  #local: string;

  /** Serves `binding` (from {@link bind}), registering children in `registry`. */
  constructor(
    name: string,
    binding: StreamBinding,
    registry: SocketRegistry,
    options: ListenerOptions = {},
  ) {
    super(name, options.kind ?? binding.kind, registry.emit);
    this.#child = options.child ??
      ((n, { transport }, emit, released) =>
        new StreamSocket(n, this.kind, transport, emit, {
          role: "accepted",
          releasedAtEof: released,
        }));
    this.#binding = binding;
    this.#registry = registry;
    this.#local = NamedSocket.addr(binding.addr);
    if (binding.note) this.note = binding.note;
    this.#loop = new AcceptLoop(binding, {
      accepted: (connection) => this.#adopt(connection),
      failed: (message) => this.emit({ type: "error", name: this.name, message }),
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True if this listener already made the child `name` (`NAME.N`), so none is on its way. */
  made(name: string): boolean {
    const n = Number(name.slice(this.name.length + 1));
    return name.startsWith(`${this.name}.`) && Number.isInteger(n) && n <= this.#count;
  }

  /** Failed accepts so far (at the descriptor limit the loop backs off instead of spinning). */
  get acceptFailures(): number {
    return this.#loop.failures;
  }

  /** The bound address, e.g. `127.0.0.1:40211`. */
  get local(): string {
    return this.#local;
  }

  /** The bound address as Deno reports it. */
  get addr(): Deno.Addr {
    return this.#binding.addr;
  }

  info(): SocketInfo {
    this.#prune();
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

  #adopt(accepted: Accepted): void {
    const { note, settled } = accepted;
    const next = this.#registry.nextChild(this.name, this.#count);
    this.#count = next.number;
    const child = this.#child(next.name, accepted, this.emit, () => {
      this.#live.delete(child);
      this.#loop.wake(); // a descriptor came back: an accept paused at the limit can go on
    });
    if (note) child.note = note;
    settled?.then((n) => child.note = n);
    this.#registry.add(child);
    this.#live.add(child);
    this.emit({ type: "accepted", name: this.name, child: child.name, remote: child.remote });
    const waiter = this.#waiters.shift();
    if (waiter) {
      if (child instanceof StreamSocket) child.hold();
      waiter(child);
    } else this.#unclaimed.push(child);
    if (this.#live.size + this.#unclaimed.length >= this.#pruneAt) this.#prune();
  }

  /** Drops finished children from `#live` and children the registry forgot from `#unclaimed`. */
  #prune(): void {
    for (const c of this.#live) {
      if (c.closed || (c instanceof StreamSocket && c.released)) this.#live.delete(c);
    }
    this.#unclaimed = this.#unclaimed.filter((c) => this.#registry.holds(c));
    this.#pruneAt = Math.max(PRUNE_MIN, 2 * (this.#live.size + this.#unclaimed.length));
  }

  /**
   * The next accepted child not yet handed out; waits up to `timeout` ms for one.
   * Throws a SockitError on timeout, cancel or close.
   */
  accept(options: { timeout?: number; signal?: AbortSignal } = {}): Promise<NamedSocket> {
    let ready = this.#unclaimed.shift();
    while (ready && !this.#registry.holds(ready)) ready = this.#unclaimed.shift();
    if (ready) {
      if (ready instanceof StreamSocket) ready.hold();
      return Promise.resolve(ready);
    }
    if (this.#closed) {
      return Promise.reject(
        new SockitError(`Cannot accept on "${this.name}": listener is closed`, { code: "closed" }),
      );
    }
    return new Promise((resolve, reject) => {
      let cancelTimer: (() => void) | undefined;
      const done = (s: NamedSocket | undefined, why?: "cancelled" | "timeout") => {
        cancelTimer?.();
        options.signal?.removeEventListener("abort", onAbort);
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        if (s) return resolve(s);
        const text = why === "cancelled"
          ? "cancelled"
          : why === "timeout"
          ? `timed out after ${options.timeout} ms`
          : "listener closed";
        reject(
          new SockitError(`Cannot accept on "${this.name}": ${text}`, { code: why ?? "closed" }),
        );
      };
      const waiter = (s: NamedSocket | undefined) => done(s);
      const onAbort = () => done(undefined, "cancelled");
      this.#waiters.push(waiter);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      if (options.timeout !== undefined) {
        cancelTimer = startTimer(options.timeout, () => done(undefined, "timeout"));
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w(undefined);
    await this.#loop.stop();
    this.emit({ type: "closed", name: this.name });
  }

  /**
   * Closes the listener and then every child it made that is still open (`close NAME --all`);
   * returns the names of the children closed.
   */
  async closeWithChildren(): Promise<string[]> {
    await this.close();
    const open = [...this.#live].filter((c) => !c.closed);
    this.#live.clear();
    this.#unclaimed = [];
    await Promise.all(open.map((c) => c.close()));
    return open.map((c) => c.name);
  }
}

/**
 * Closes `socket`; with `children`, a listener's children too. Returns every name closed, the
 * socket's first (`close NAME --all`).
 */
export async function closeSocket(
  socket: NamedSocket,
  options: { children?: boolean } = {},
): Promise<string[]> {
  if (options.children && socket instanceof Listener) {
    return [socket.name, ...await socket.closeWithChildren()];
  }
  await socket.close();
  return [socket.name];
}

/**
 * `listen KIND NAME ADDR` for the stream kinds (tcp, unix, tls): checks the name, opens the
 * transport through {@link bind} and registers the listener.
 */
export async function listenStream(
  registry: SocketRegistry,
  kind: "tcp" | "unix" | "tls",
  name: string,
  address: string,
  options: BindOptions = {},
): Promise<Listener> {
  registry.checkFreeName(name, "listen");
  const binding = await bind(kind, address, { verb: "listen", name }, options) as StreamBinding;
  return registerListener(registry, name, binding);
}

/**
 * Registers a listener over a binding already open (`listenTcp` binds synchronously), closing it
 * again if the name was taken meanwhile.
 */
export function registerListener(
  registry: SocketRegistry,
  name: string,
  binding: StreamBinding,
  options?: ListenerOptions,
): Listener {
  const listener = new Listener(name, binding, registry, options);
  try {
    registry.checkFreeName(listener.name, "listen");
    registry.add(listener);
  } catch (error) {
    listener.close();
    throw error;
  }
  return listener;
}
