/**
 * `open ws|wss NAME URL` and `listen ws|wss NAME ADDR`: WebSocket over our own TCP and TLS
 * transports. The client dials (through `dialStream`/`dialTls`), shakes hands and becomes a
 * {@link WsSocket}; the listener binds through {@link bind} like every listener, and each
 * accepted connection becomes a child `NAME.N` at once, shaking hands in the background.
 *
 * @module
 */

import { formatHostPort } from "./address.ts";
import { SockitError } from "../grammar/errors.ts";
import { bind, type StreamBinding } from "./bind.ts";
import { type Listener, registerListener } from "./listener.ts";
import type { SocketRegistry } from "./registry.ts";
import type { StreamTransport } from "./stream_socket.ts";
import { type DialOptions, dialStream, withDeadline } from "./tcp.ts";
import type { TlsOptions } from "./tls.ts";
import { clientHandshake, serverHandshake } from "./ws_handshake.ts";
import { WsSocket } from "./ws_socket.ts";

/** Options of `open ws|wss`: TLS settings for wss, headers and subprotocols, a deadline. */
export interface WsDialOptions extends DialOptions, TlsOptions {
  /** Extra request headers, `K:V` each (`--header`, repeatable). */
  header?: string | string[];
  /** Subprotocols to offer (`--subprotocol`, repeatable). */
  subprotocol?: string | string[];
  /**
   * What errors call the socket (default its name; `sockit connect` names the URL), after
   * `verb` (default `open`): `Cannot connect to "ws://…": connection refused by …`.
   */
  label?: string;
}

/** The parts of a ws:// or wss:// URL that dialling needs. */
export interface WsUrl {
  secure: boolean;
  host: string;
  port: number;
  /** The Host header. */
  authority: string;
  /** Path and query. */
  path: string;
}

const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/**
 * Reads `ws://HOST[:PORT][/PATH]` (or wss); a bare `HOST:PORT[/PATH]` takes the scheme from
 * `kind`. Errors name the action and the value.
 *
 * @example A URL's parts
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseWsUrl } from "./ws_transport.ts";
 * const u = parseWsUrl("ws://[::1]:9000/chat?room=1", "ws", 'open "a"');
 * assert.deepEqual([u.host, u.port, u.path, u.secure], ["::1", 9000, "/chat?room=1", false]);
 * assert.equal(parseWsUrl("127.0.0.1:80", "wss", 'open "a"').port, 80);
 * ```
 */
export function parseWsUrl(text: string, kind: string, action: string): WsUrl {
  const full = text.includes("://") ? text : `${kind}://${text}`;
  let url: URL;
  try {
    url = new URL(full);
  } catch {
    throw new SockitError(`Cannot ${action}: ${JSON.stringify(text)} is not a ws:// URL`, {
      code: "usage",
      hint: "e.g. ws://127.0.0.1:9000/chat",
    });
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "ws" && scheme !== "wss") {
    throw new SockitError(
      `Cannot ${action}: ${JSON.stringify(text)} is not a ws:// or wss:// URL`,
      {
        code: "usage",
      },
    );
  }
  if (scheme !== kind) {
    throw new SockitError(`Cannot ${action}: the URL is ${scheme}://, but the kind is ${kind}`, {
      code: "usage",
      hint: `open ${scheme} NAME ${text}`,
    });
  }
  const secure = scheme === "wss";
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = url.port ? Number(url.port) : secure ? 443 : 80;
  return {
    secure,
    host,
    port,
    authority: url.host,
    path: (url.pathname || "/") + url.search,
  };
}

/** Connects a named WebSocket to `URL` (see {@link parseWsUrl}) and registers it. */
export async function openWs(
  registry: SocketRegistry,
  kind: "ws" | "wss",
  name: string,
  address: string,
  options: WsDialOptions = {},
): Promise<WsSocket> {
  registry.checkFreeName(name, "open");
  const label = options.label ?? name;
  const action = `${options.verb ?? "open"} "${label}"`;
  const url = parseWsUrl(address, kind, action);
  let conn: StreamTransport;
  let note: string | undefined;
  if (url.secure) {
    const tls = await import("./tls_sockets.ts");
    const t = await tls.dialTls(label, url.host, url.port, options);
    note = tls.tlsNote(t);
    conn = t;
  } else conn = (await dialStream(label, url.host, url.port, options)).conn;
  let start;
  try {
    start = await withDeadline(
      clientHandshake(conn, {
        host: url.authority,
        path: url.path,
        headers: list(options.header),
        subprotocols: list(options.subprotocol),
      }, action),
      options,
    );
  } catch (error) {
    try {
      conn.close();
    } catch { /* gone */ }
    if (error instanceof SockitError) throw error;
    const why = error instanceof Deno.errors.TimedOut
      ? `timed out in the WebSocket handshake with ${formatHostPort(url.host, url.port)}`
      : error instanceof Error
      ? error.message
      : String(error);
    throw new SockitError(`Cannot ${action}: ${why}`, {
      code: error instanceof Deno.errors.TimedOut ? "timeout" : "failed",
    });
  }
  registry.checkFreeName(name, "open");
  const socket = new WsSocket(name, kind, conn, registry.emit, {
    role: "client",
    start: Promise.resolve({ ...start, path: url.path }),
    note,
  });
  registry.add(socket);
  return socket;
}

/** Options of `listen ws|wss`: the path to serve, and TLS files for wss. */
export interface WsListenOptions extends TlsOptions {
  /** Accept upgrades only for this path (others get 404); default: any path. */
  path?: string;
  /** wss: ms a peer may take to finish its TLS handshake. */
  handshakeTimeout?: number;
}

/**
 * Listens for WebSocket clients on `ADDR`. Every connection becomes `NAME.N` at once and
 * answers the upgrade in the background; one that is not a WebSocket request gets an HTTP error
 * and shows the reason as an error event and in `ls`.
 */
export async function listenWs(
  registry: SocketRegistry,
  kind: "ws" | "wss",
  name: string,
  address: string,
  options: WsListenOptions = {},
): Promise<Listener> {
  registry.checkFreeName(name, "listen");
  const { path, handshakeTimeout, ...tls } = options;
  const binding = await bind(kind === "wss" ? "tls" : "tcp", address, { verb: "listen", name }, {
    tls,
    handshakeTimeout,
  }) as StreamBinding;
  return registerListener(registry, name, binding, {
    kind,
    child: (child, accepted, emit) => {
      const start = serverHandshake(accepted.transport, { path }, `accept "${child}"`);
      // The child reports the failure (an error event, and in ls); the connection goes.
      start.catch(() => {
        try {
          accepted.transport.close();
        } catch { /* gone */ }
      });
      return new WsSocket(child, kind, accepted.transport, emit, { role: "accepted", start });
    },
  });
}
