import { formatAddr } from "./address.ts";
import type { Delivery } from "./delivery.ts";
import type { ErrorCode } from "../grammar/errors.ts";
import type { SocketTap } from "./tap.ts";

/**
 * Lifecycle of a named socket as `ls` shows it.
 *
 * @example A socket's state through its life
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { SocketState } from "./named_socket.ts";
 * await using shell = new Shell();
 * const srv = await shell.execute("listen tcp srv 127.0.0.1:0");
 * if (srv.kind !== "socket") throw new Error("listen failed");
 * await shell.execute(`open tcp a ${srv.info.local}`);
 * await shell.execute("accept srv");
 * const state = (name: string): SocketState => shell.registry.get(name, "read").info().state;
 * assert.equal(state("srv"), "listening");
 * assert.equal(state("a"), "open");
 * await shell.execute("shutdown a");
 * assert.equal(state("a"), "write-shut");
 * ```
 */
export type SocketState =
  | "listening"
  | "open"
  | "write-shut"
  | "peer-closed"
  | "closed";

/**
 * What `ls` shows for one socket: plain data, rendered by the shell.
 *
 * @example What ls shows of a socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { SocketInfo } from "./named_socket.ts";
 * await using shell = new Shell();
 * const srv = await shell.execute("listen tcp srv 127.0.0.1:0");
 * if (srv.kind !== "socket") throw new Error("listen failed");
 * const info: SocketInfo = srv.info;
 * assert.equal(info.name, "srv");
 * assert.equal(info.kind, "tcp");
 * assert.equal(info.role, "listener");
 * assert.equal(info.remote, "-");
 * ```
 */
export interface SocketInfo {
  /** The registry name. */
  name: string;
  /** Transport: tcp, tls, unix, udp, … */
  kind: string;
  /** client (we dialled), accepted (a listener's child), listener, or bound (datagram). */
  role: "client" | "accepted" | "listener" | "bound";
  /** open, write-shut, peer-closed, closed or listening. */
  state: SocketState;
  /** Our address, IPv6 in brackets; a path for Unix sockets. */
  local: string;
  /** The peer's address, or `-`. */
  remote: string;
  /** Bytes received so far. */
  bytesIn: number;
  /** Bytes sent so far. */
  bytesOut: number;
  /** Bytes waiting to be read (for a listener: connections not yet handed out by accept). */
  buffered: number;
  /** Extra facts: the built-in server it runs, TLS details, warnings. */
  note?: string;
}

/**
 * Something that happened on a socket, for the event display and for listeners.
 *
 * @example Events of a connection as the registry reports them
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { SocketEvent } from "./named_socket.ts";
 * await using shell = new Shell();
 * const events: SocketEvent[] = [];
 * const accepted = Promise.withResolvers<void>();
 * shell.registry.subscribe((e) => {
 *   events.push(e);
 *   if (e.type === "accepted") accepted.resolve();
 * });
 * const srv = await shell.execute("listen tcp srv 127.0.0.1:0");
 * if (srv.kind !== "socket") throw new Error("listen failed");
 * await shell.execute(`open tcp a ${srv.info.local}`);
 * await accepted.promise;
 * assert.ok(events.some((e) => e.type === "accepted" && e.child === "srv.1"));
 * ```
 */
export type SocketEvent =
  | { type: "accepted"; name: string; child: string; remote: string }
  | { type: "data"; name: string; bytes: number; buffered: number }
  | { type: "peer-closed"; name: string; buffered: number; reason?: string }
  | { type: "error"; name: string; message: string; code?: ErrorCode }
  | { type: "closed"; name: string; reason?: string };

/**
 * Receives socket events.
 *
 * @example A sink that keeps the names of closed sockets
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { EventSink } from "./named_socket.ts";
 * await using shell = new Shell();
 * const closed: string[] = [];
 * const sink: EventSink = (e) => void (e.type === "closed" && closed.push(e.name));
 * shell.registry.subscribe(sink);
 * await shell.execute("listen tcp srv 127.0.0.1:0");
 * await shell.execute("close srv");
 * assert.deepEqual(closed, ["srv"]);
 * ```
 */
export type EventSink = (event: SocketEvent) => void;

/**
 * The base of every named socket: its name, counters and the event sink it reports to.
 * Transports extend it; the registry holds them by name.
 *
 * @example Every socket in the registry is a NamedSocket
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import { NamedSocket } from "./named_socket.ts";
 * await using shell = new Shell();
 * await shell.execute("listen udp u 127.0.0.1:0");
 * const socket = shell.registry.get("u", "read");
 * assert.ok(socket instanceof NamedSocket);
 * assert.equal(socket.kind, "udp");
 * assert.equal(socket.bytesIn, 0);
 * ```
 */
export abstract class NamedSocket {
  /** The registry name, e.g. `a` or `srv.1`. */
  readonly name: string;
  /** Transport kind, e.g. `tcp`. */
  readonly kind: string;
  /** Bytes received so far. */
  bytesIn = 0;
  /** Bytes sent so far. */
  bytesOut = 0;
  /** Free text shown in `ls` (built-in server, TLS details, warnings). */
  note?: string;
  /** Set by the registry: received bytes reach the buffer in pieces (`sockit test --chunk`). */
  delivery?: Delivery;
  /** Set by the registry while a logger listens: sees every byte (see `sockets/tap.ts`). */
  tap?: SocketTap;
  /** Where this socket reports its events (the registry's sink). */
  protected emit: EventSink;

  /** Names a socket of a transport kind that reports to `emit`. */
  constructor(name: string, kind: string, emit: EventSink) {
    this.name = name;
    this.kind = kind;
    this.emit = emit;
  }

  /** The row `ls` shows. */
  abstract info(): SocketInfo;
  /** Closes the socket; idempotent. */
  abstract close(): Promise<void>;
  /** True once closed by us. */
  abstract get closed(): boolean;

  /** Formats an address for display. */
  protected static addr(addr: Deno.Addr | undefined): string {
    return formatAddr(addr);
  }
}
