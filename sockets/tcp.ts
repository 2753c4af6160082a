import { formatHostPort, parseHostPort, requirePeerPort } from "./address.ts";
import { errorCode, SockitError } from "../grammar/errors.ts";
import { startTimer } from "../grammar/duration.ts";
import { netError } from "./errors_map.ts";
import { bindTcp } from "./bind.ts";
import { type Listener, registerListener } from "./listener.ts";
import type { SocketRegistry } from "./registry.ts";
import { StreamSocket } from "./stream_socket.ts";

/** Options for dialling: an overall timeout in ms and a cancel signal. */
export interface DialOptions {
  timeout?: number;
  signal?: AbortSignal;
}

/** Resolves `promise` unless `timeout` ms pass or `signal` aborts first (then it rejects). */
export function withDeadline<T>(
  promise: Promise<T>,
  options: DialOptions,
  onLate?: (value: T) => void,
): Promise<T> {
  if (options.timeout === undefined && !options.signal) return promise;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let cancelTimer: (() => void) | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      cancelTimer?.();
      options.signal?.removeEventListener("abort", onAbort);
      fn();
    };
    const onAbort = () => finish(() => reject(new SockitError("cancelled", { code: "cancelled" })));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.timeout !== undefined) {
      cancelTimer = startTimer(
        options.timeout,
        () => finish(() => reject(new Deno.errors.TimedOut(`timed out`))),
      );
    }
    promise.then(
      (v) => {
        if (settled) onLate?.(v);
        finish(() => resolve(v));
      },
      (e) => finish(() => reject(e)),
    );
  });
}

/**
 * Dials TCP for the socket `name` within the deadline, with Nagle off; errors are one line
 * naming the socket and the address. TLS dials through here too.
 */
export async function dialTcp(
  name: string,
  host: string,
  port: number,
  options: DialOptions,
): Promise<Deno.TcpConn> {
  requirePeerPort(port, `open "${name}"`);
  let conn: Deno.TcpConn;
  try {
    conn = await withDeadline(
      Deno.connect({ hostname: host, port, transport: "tcp" }),
      options,
      (late) => late.close(),
    );
  } catch (error) {
    if (errorCode(error) === "cancelled") {
      throw new SockitError(`Cannot open "${name}": cancelled`, { code: "cancelled" });
    }
    throw netError("open", name, formatHostPort(host, port), error);
  }
  conn.setNoDelay(true);
  return conn;
}

/** Connects a named TCP socket to `HOST:PORT` and registers it. */
export async function openTcp(
  registry: SocketRegistry,
  name: string,
  address: string,
  options: DialOptions = {},
): Promise<StreamSocket> {
  registry.checkFreeName(name, "open");
  const { host, port } = parseHostPort(address, `open "${name}"`);
  const conn = await dialTcp(name, host, port, options);
  registry.checkFreeName(name, "open");
  const socket = new StreamSocket(name, "tcp", conn, registry.emit, { role: "client" });
  registry.add(socket);
  return socket;
}

/**
 * Listens on `ADDR` (a bare `:PORT` binds 127.0.0.1; port 0 picks a free one), through
 * {@link bindTcp} like every listener; synchronous.
 */
export function listenTcp(registry: SocketRegistry, name: string, address: string): Listener {
  registry.checkFreeName(name, "listen");
  return registerListener(registry, name, bindTcp(address, { verb: "listen", name }));
}
