/**
 * `open tls` and `listen tls`: TCP connections with TLS from the first byte (see `tls.ts` for
 * the engine, and `StreamSocket.upgrade` for STARTTLS on an open socket).
 *
 * @module
 */

import { formatHostPort, parseHostPort } from "./address.ts";
import { errorCode, SockitError } from "../grammar/errors.ts";
import {
  type BindOptions,
  DEFAULT_HANDSHAKE_TIMEOUT,
  type StreamBinding,
  tcpListener,
  type Who,
} from "./bind.ts";
import { formatDuration } from "../grammar/duration.ts";
import { type Listener, listenStream } from "./listener.ts";
import type { SocketRegistry } from "./registry.ts";
import { StreamSocket } from "./stream_socket.ts";
import { type DialOptions, dialStream, withDeadline } from "./tcp.ts";
import { attachOptions, type SocketOptions } from "./socket_options.ts";
import { portOf, startTlsOver, type TlsOptions, tlsSettings, type TlsTransport } from "./tls.ts";

/** Waits for a handshake, closing the transport and wording the error when it fails. */
async function handshake(
  t: TlsTransport,
  action: string,
  shown: string,
  options: DialOptions,
): Promise<void> {
  try {
    await withDeadline(t.ready, options);
  } catch (error) {
    t.close();
    await t.closed();
    throw handshakeFailed(error, `Cannot ${action}: TLS handshake with ${shown} failed`, "");
  }
}

/** A failed handshake in one line, coded `cancelled`, `timeout` or `tls`. */
function handshakeFailed(error: unknown, what: string, after: string): SockitError {
  const code = errorCode(error) === "cancelled"
    ? "cancelled"
    : error instanceof Deno.errors.TimedOut
    ? "timeout"
    : "tls";
  const why = code === "cancelled"
    ? "cancelled"
    : code === "timeout"
    ? "timed out"
    : (error as Error).message;
  return new SockitError(`${what}: ${why}${after}`, { code, cause: error });
}

/** The `ls` note of a TLS socket: protocol, peer subject, ALPN, and a warning when insecure. */
export function tlsNote(t: TlsTransport): string {
  return `tls ${t.describe()}`;
}

/** Connects with TLS to `HOST:PORT`, verifying the certificate unless `insecure`. */
export async function openTls(
  registry: SocketRegistry,
  name: string,
  address: string,
  options: DialOptions & TlsOptions = {},
): Promise<StreamSocket> {
  registry.checkFreeName(name, "open");
  const dial = await tlsDialer(address, options, `open "${name}"`);
  const { t, tuning } = await dial(name, options);
  try {
    registry.checkFreeName(name, "open");
  } catch (error) {
    t.close();
    throw error;
  }
  const socket = new StreamSocket(name, "tls", t, registry.emit, { role: "client" });
  attachOptions(socket, tuning);
  socket.note = tlsNote(t) + (tuning.proxy ? `; via ${tuning.proxy}` : "");
  registry.add(socket);
  return socket;
}

/** A TLS stream to HOST:PORT, dialled and shaken hands with, not registered (wss uses it). */
export async function dialTls(
  name: string,
  host: string,
  port: number,
  options: DialOptions & TlsOptions = {},
): Promise<TlsTransport> {
  const dial = await tlsDialer(
    formatHostPort(host, port),
    options,
    `${options.verb ?? "open"} "${name}"`,
  );
  return (await dial(name, options)).t;
}

/**
 * A TLS client for `HOST:PORT` (`open tls`, and the relay's tls targets): checks the address and
 * reads the files once (errors name `action`); each call dials, shakes hands within the deadline
 * and returns the stream, without registering a socket (errors name `name`).
 */
export async function tlsDialer(
  address: string,
  options: TlsOptions,
  action: string,
): Promise<
  (name: string, dial?: DialOptions) => Promise<{ t: TlsTransport; tuning: SocketOptions }>
> {
  const { host, port } = parseHostPort(address, action);
  const shown = formatHostPort(host, port);
  const start = { ...options, isServer: false, host, action };
  const prepared = await tlsSettings(start);
  return async (name, dial = {}) => {
    const { conn, options: tuning } = await dialStream(name, host, port, dial);
    const action = `${dial.verb ?? "open"} "${name}"`;
    const t = await startTlsOver(portOf(conn), { ...start, action }, prepared);
    await handshake(t, action, shown, dial);
    return { t, tuning };
  };
}

/** Settings of {@link listenTls}: the server's files and ALPN, and the handshake timeout. */
export interface ListenTlsOptions extends TlsOptions {
  /** ms a peer may take to finish its handshake (default 10 s). */
  handshakeTimeout?: number;
  /** SO_REUSEPORT: several listeners share the port. */
  reusePort?: boolean;
}

/**
 * {@link bind} for tls: a TCP listener whose connections each shake hands in the background on
 * the node:tls engine (a slow or plain-text peer never holds up the others). The certificate
 * and key are read and checked as a pair first. A handshake that fails, or that has not
 * finished within `handshakeTimeout`, closes that connection so its peer sees it; the child's
 * reads and writes then fail with the reason.
 */
export async function bindTls(
  address: string,
  who: Who,
  options: BindOptions = {},
): Promise<StreamBinding> {
  const action = `${who.verb} "${who.name}"`;
  const start = { ...options.tls, isServer: true, action };
  const prepared = await tlsSettings(start);
  const timeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;
  const listener = tcpListener(address, who, options.backlog, options.reusePort);
  return {
    kind: "tls",
    addr: listener.addr,
    async accept() {
      const conn = await listener.accept();
      conn.setNoDelay(true);
      const t = await startTlsOver(portOf(conn), start, prepared);
      const timer = setTimeout(
        () => t.abort(`timed out after ${formatDuration(timeout)}`),
        timeout,
      );
      const settled = t.ready.then(
        () => tlsNote(t),
        (error) => `tls handshake failed: ${(error as Error).message}`,
      );
      settled.then(() => clearTimeout(timer));
      return { transport: t, note: "tls handshaking", settled };
    },
    close: () => listener.close(),
  };
}

/**
 * Listens for TLS on `ADDR` with `--cert` and `--key` (see {@link bindTls}). Each connection
 * becomes `NAME.N` at once; a failed handshake shows as an error event on that child.
 */
export function listenTls(
  registry: SocketRegistry,
  name: string,
  address: string,
  options: ListenTlsOptions = {},
): Promise<Listener> {
  const { handshakeTimeout, reusePort, ...tls } = options;
  return listenStream(registry, "tls", name, address, { tls, handshakeTimeout, reusePort });
}

/** Options of {@link startTls}: TLS settings, a deadline, and the last plain-text bytes. */
export interface StartTlsOptions extends TlsOptions, DialOptions {
  /** Sent once the switch is armed (e.g. `220 ready\r\n`): whatever comes after is TLS. */
  before?: () => Promise<unknown>;
}

/**
 * STARTTLS: upgrades an open plain socket in place. A socket we dialled becomes the TLS client
 * (verifying its peer's address, or `servername`); an accepted socket becomes the TLS server and
 * needs `cert` and `key`. The name, counters and already-buffered bytes stay.
 */
export async function startTls(socket: StreamSocket, options: StartTlsOptions = {}): Promise<void> {
  const isServer = socket.role === "accepted";
  const action = `starttls "${socket.name}"`;
  const remote = socket.conn.remoteAddr;
  const host = remote.transport === "tcp" ? (remote as Deno.NetAddr).hostname : undefined;
  const start = { ...options, isServer, host, action };
  const prepared = await tlsSettings(start);
  let upgraded: TlsTransport | undefined;
  await socket.upgrade(async (plain) => {
    const t = await startTlsOver(
      {
        incoming: plain.incoming,
        write: (p) => plain.conn.write(p),
        closeWrite: () => plain.conn.closeWrite(),
        close: () => plain.conn.close(),
        localAddr: plain.conn.localAddr,
        remoteAddr: plain.conn.remoteAddr,
        raw: plain.conn,
      },
      start,
      prepared,
    );
    try {
      await withDeadline(t.ready, options);
    } catch (error) {
      t.close();
      throw handshakeFailed(
        error,
        `Cannot ${action}: TLS handshake with ${socket.remote} failed`,
        "; socket closed",
      );
    }
    upgraded = t;
    return t;
  }, options.before);
  socket.note = `starttls → ${tlsNote(upgraded!)}`;
}
