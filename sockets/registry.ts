import { SockitError } from "../grammar/errors.ts";
import type { EventSink, NamedSocket, SocketEvent } from "./named_socket.ts";
import { nearest } from "../grammar/nearest.ts";
import type { Delivery } from "./delivery.ts";

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

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
  /** How every socket added from now on delivers received bytes (default: as read). */
  delivery?: Delivery;

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
        `Cannot ${action} "${name}": names start with a letter and hold letters, digits, _ and -`,
      );
    }
    if (this.#sockets.get(name)?.closed === false) {
      throw new SockitError(`Cannot ${action} "${name}": name already in use`, {
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
      throw new SockitError(`Cannot add "${socket.name}": name already in use`);
    }
    if (this.delivery) socket.delivery = this.delivery;
    this.#sockets.set(socket.name, socket);
  }

  /** Forgets a socket (after close). */
  delete(name: string): void {
    this.#sockets.delete(name);
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
    throw new SockitError(`Cannot ${action} "${name}": no such socket`, {
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
      throw new SockitError(`Cannot ${action} "${pattern}": no socket matches`);
    }
    return found;
  }

  /** Every socket name, in creation order. */
  names(): string[] {
    return [...this.#sockets.keys()];
  }

  /** Every socket, in creation order. */
  all(): NamedSocket[] {
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
