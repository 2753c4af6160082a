import { showValue } from "../grammar/show_value.ts";
import { startTimer } from "../grammar/duration.ts";
import { SockitError } from "../grammar/errors.ts";
import type { EventSink, NamedSocket, SocketEvent } from "./named_socket.ts";
import { nearest } from "../grammar/nearest.ts";
import type { Delivery } from "./delivery.ts";
import type { SocketTap } from "./tap.ts";

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * How many finished rows (closed sockets, and listener children whose peer closed, whose
 * descriptor went back and whose bytes were all read) the registry keeps for `ls`; past it the
 * oldest are forgotten.
 */
export const MAX_FINISHED_ROWS = 256;

/** Sweeps for finished rows after this many additions (and before every listing). */
const SWEEP_EVERY = 64;

/** Nothing more can come or go on `socket`: it is closed, or a drained, released child. */
function finished(socket: NamedSocket): boolean {
  return socket.closed || (socket as { finished?: boolean }).finished === true;
}

/**
 * Name → live socket, and the event stream of everything that happens on them
 * (accepted, data, peer closed, error, closed).
 *
 * @example Registering and finding a socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketRegistry } from "./registry.ts";
 * const registry = new SocketRegistry();
 * assert(registry.names().length === 0);
 * registry.checkFreeName("a", "open");
 * ```
 */
export class SocketRegistry {
  #sockets = new Map<string, NamedSocket>();
  #sinks = new Set<EventSink>();
  /** Reads waiting for a listener's child that has not arrived yet, by child name. */
  #arrivals = new Map<string, Set<() => void>>();
  /** How every socket added from now on delivers received bytes (default: as read). */
  delivery?: Delivery;
  #addedSinceSweep = 0;
  #tap: SocketTap | undefined;

  /** The tap every socket reports its bytes to (a logger), if one is attached. */
  get tap(): SocketTap | undefined {
    return this.#tap;
  }

  /** Attaches `tap` to every socket, now and added later (undefined detaches it). */
  set tap(tap: SocketTap | undefined) {
    this.#tap = tap;
    for (const socket of this.#sockets.values()) socket.tap = tap;
  }

  /** The event sink sockets report to; forwards to every subscriber. */
  readonly emit: EventSink = (event: SocketEvent) => {
    for (const sink of this.#sinks) sink(event);
  };

  /** Subscribes to socket events; returns the unsubscribe function. */
  subscribe(sink: EventSink): () => void {
    this.#sinks.add(sink);
    return () => this.#sinks.delete(sink);
  }

  /** Throws unless `name` is a valid user-chosen name not in use. */
  checkFreeName(name: string, action: string): void {
    if (!NAME.test(name)) {
      throw new SockitError(
        `Cannot ${action} ${
          showValue(name)
        }: names start with a letter and hold letters, digits, _ and -`,
        { code: "usage" },
      );
    }
    if (this.#sockets.get(name)?.closed === false) {
      throw new SockitError(`Cannot ${action} "${name}": name already in use`, {
        code: "exists",
        hint: `close ${name} first, or pick another name`,
      });
    }
  }

  /**
   * Adds a socket under its name (children such as `srv.1` are added by their listener). A
   * closed socket keeps its name, shown as closed in `ls`, until a new socket takes it.
   */
  add(socket: NamedSocket): void {
    const old = this.#sockets.get(socket.name);
    if (old?.closed) this.#sockets.delete(socket.name);
    else if (old) {
      throw new SockitError(`Cannot add "${socket.name}": name already in use`, { code: "exists" });
    }
    if (this.delivery) socket.delivery = this.delivery;
    this.#sockets.set(socket.name, socket);
    if (++this.#addedSinceSweep >= SWEEP_EVERY) this.#sweep();
    if (this.#tap) {
      socket.tap = this.#tap;
      this.#tap.added(socket);
    }
    const waiting = this.#arrivals.get(socket.name);
    if (waiting) {
      this.#arrivals.delete(socket.name);
      for (const wake of waiting) wake();
    }
  }

  /**
   * The name of a listener's next child: `PARENT.N` for the first `N` after `after` whose name no
   * open socket holds (an earlier listener's child that is still open keeps its name; a closed
   * one gives it up).
   */
  nextChild(parent: string, after: number): { name: string; number: number } {
    let n = after + 1;
    while (this.#sockets.get(`${parent}.${n}`)?.closed === false) n++;
    return { name: `${parent}.${n}`, number: n };
  }

  /**
   * Waits for a child that has not arrived yet: when `name` is `PARENT.N`, `PARENT` is an open
   * listener that names children (`listen tcp|udp|unix|tls`) and has not made `name` yet, and
   * no open socket has that name, resolves once the child is added, or when `timeout` ms pass or
   * `signal` aborts (the caller's lookup then reports what is wrong). Resolves at once in every
   * other case.
   * (A datagram sent just before `recv w.1` is still on its way when the read starts.)
   */
  arrival(name: string, options: { timeout?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.#sockets.get(name)?.closed === false) return Promise.resolve();
    const dot = name.lastIndexOf(".");
    const parent = dot > 0 ? this.#sockets.get(name.slice(0, dot)) : undefined;
    const maker = parent as { children?: unknown; made?: (child: string) => boolean } | undefined;
    const made = typeof maker?.made === "function"
      ? maker.made(name)
      : Array.isArray(maker?.children)
      ? maker.children.includes(name)
      : undefined;
    if (
      !parent || parent.closed || made !== false ||
      !/^\d+$/.test(name.slice(dot + 1)) || options.signal?.aborted
    ) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let waiting = this.#arrivals.get(name);
      if (!waiting) this.#arrivals.set(name, waiting = new Set());
      let cancelTimer: (() => void) | undefined;
      const done = () => {
        cancelTimer?.();
        options.signal?.removeEventListener("abort", done);
        waiting.delete(done);
        if (waiting.size === 0 && this.#arrivals.get(name) === waiting) {
          this.#arrivals.delete(name);
        }
        resolve();
      };
      waiting.add(done);
      options.signal?.addEventListener("abort", done, { once: true });
      if (options.timeout !== undefined) cancelTimer = startTimer(options.timeout, done);
    });
  }

  /** Forgets a socket (after close). */
  delete(name: string): void {
    this.#sockets.delete(name);
  }

  /** True if `socket` itself is registered under its name (not forgotten, not replaced). */
  holds(socket: NamedSocket): boolean {
    return this.#sockets.get(socket.name) === socket;
  }

  /** Forgets the oldest finished rows beyond {@link MAX_FINISHED_ROWS}. */
  #sweep(): void {
    this.#addedSinceSweep = 0;
    const done: string[] = [];
    for (const [name, socket] of this.#sockets) if (finished(socket)) done.push(name);
    for (const name of done.slice(0, Math.max(0, done.length - MAX_FINISHED_ROWS))) {
      this.#sockets.delete(name);
    }
  }

  /** True if a socket of that name exists. */
  has(name: string): boolean {
    return this.#sockets.has(name);
  }

  /** The socket of that name, or a SockitError naming the action and suggesting the nearest. */
  get(name: string, action: string): NamedSocket {
    const socket = this.#sockets.get(name);
    if (socket) return socket;
    const guess = nearest(name, this.#sockets.keys());
    throw new SockitError(`Cannot ${action} ${showValue(name)}: no such socket`, {
      code: "not-found",
      hint: guess ? `did you mean ${guess}?` : "ls lists the open sockets",
    });
  }

  /**
   * Sockets matching a name or a glob with `*` (e.g. `srv.*`), in creation order.
   * A glob that matches nothing is an error.
   */
  match(pattern: string, action: string): NamedSocket[] {
    if (!pattern.includes("*")) return [this.get(pattern, action)];
    const re = new RegExp(
      "^" + pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") +
        "$",
    );
    const found = [...this.#sockets.values()].filter((s) => re.test(s.name));
    if (found.length === 0) {
      throw new SockitError(`Cannot ${action} ${showValue(pattern)}: no socket matches`, {
        code: "not-found",
      });
    }
    return found;
  }

  /** Every socket name, in creation order. */
  names(): string[] {
    this.#sweep();
    return [...this.#sockets.keys()];
  }

  /** Every socket, in creation order. */
  all(): NamedSocket[] {
    this.#sweep();
    return [...this.#sockets.values()];
  }

  /** Closes every socket (listeners first, so no new children arrive) and forgets them. */
  async closeAll(): Promise<void> {
    const all = this.all();
    const listeners = all.filter((s) => s.info().role === "listener");
    await Promise.all(listeners.map((s) => s.close()));
    await Promise.all(all.map((s) => s.close()));
    this.#sockets.clear();
  }

  /** Closes every socket, for `await using registry = new SocketRegistry()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.closeAll();
  }
}
