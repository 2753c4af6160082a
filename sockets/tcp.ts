import { formatHostPort, type HostPort, parseHostPort, requirePeerPort } from "./address.ts";
import { errorCode, SockitError, systemErrorCode } from "../grammar/errors.ts";
import { formatDuration, startTimer } from "../grammar/duration.ts";
import { nodeConnect, type NodeTcpConn } from "./node_tcp.ts";
import { parseProxy, proxyHandshake, type ProxySpec } from "./proxy.ts";
import { attachOptions, parseBind, SocketOptions } from "./socket_options.ts";
import { netError } from "./errors_map.ts";
import { bindTcp } from "./bind.ts";
import { type Listener, registerListener } from "./listener.ts";
import type { SocketRegistry } from "./registry.ts";
import { StreamSocket, type StreamTransport } from "./stream_socket.ts";

/**
 * Options for dialling, all optional: an overall timeout in ms and a cancel signal, and what
 * `open tcp|tls` (and `sockit connect`) take: `--proxy`, `--bind`, `--nodelay`,
 * `--keepalive`, `--retry`, `--retry-delay`, `--wait`.
 */
export interface DialOptions {
  /** ms one attempt may take, proxy handshake included. */
  timeout?: number;
  /** Ends the dial, and any wait between attempts. */
  signal?: AbortSignal;
  /** `socks5://[USER:PASS@]H:P`, `socks5h://…` or `http://[USER:PASS@]H:P`. */
  proxy?: string;
  /** Source `ADDR[:PORT]` (dials with node:net: Deno.connect has no local address). */
  bind?: string;
  /** TCP_NODELAY (default on: see socket_options.ts). */
  nodelay?: boolean;
  /** Keepalive idle time in ms, or `off` (default). */
  keepalive?: number | "off";
  /** Tries again this many times when the connection is refused or unreachable. */
  retry?: number;
  /** ms between tries (default 200 ms). */
  retryDelay?: number;
  /** Keeps trying, while refused or unreachable, for up to this many ms. */
  wait?: number;
  /** The action errors name (default `open`: `Cannot open "a": …`). */
  verb?: string;
}

/** Pause between tries when `--retry` or `--wait` gives no `--retry-delay`. */
export const DEFAULT_RETRY_DELAY = 200;

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

/** A dialled connection and its socket options. */
export interface Dialled {
  /** The byte stream: a Deno TcpConn, a node:net connection, or a proxy's tunnel. */
  conn: StreamTransport;
  /** What `sockopt` shows and changes. */
  options: SocketOptions;
}

/** Whether another try may succeed: the peer (or proxy) refused, or there was no route. */
function retryable(error: unknown): boolean {
  if (errorCode(error) === "refused") return true;
  const cause = (error as { cause?: { code?: string } })?.cause;
  return cause?.code === "ENETUNREACH" || cause?.code === "EHOSTUNREACH";
}

/** Waits `ms`, or rejects with `cancelled` when `signal` aborts first. */
function pause(ms: number, signal: AbortSignal | undefined, action: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      cancel();
      reject(
        new SockitError(`Cannot ${action}: cancelled while waiting to retry`, {
          code: "cancelled",
        }),
      );
    };
    const cancel = startTimer(ms, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Dials TCP for the socket `name`, through `options.proxy` when given, trying again while
 * refused or unreachable as `retry` and `wait` allow (every wait ends with the signal); errors
 * are one line naming the socket and the address (the proxy's, for the hop to it). TLS and
 * `sockit connect` dial through here too.
 */
export async function dialStream(
  name: string,
  host: string,
  port: number,
  options: DialOptions,
): Promise<Dialled> {
  const action = `${options.verb ?? "open"} "${name}"`;
  requirePeerPort(port, action);
  const proxy = options.proxy ? parseProxy(options.proxy, action) : undefined;
  const bindTo = options.bind !== undefined ? parseBind(options.bind, action) : undefined;
  const retries = options.retry ?? 0;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new SockitError(`Cannot ${action}: --retry must be 0 or more`, { code: "usage" });
  }
  const delay = options.retryDelay ?? DEFAULT_RETRY_DELAY;
  const started = Date.now();
  const until = options.wait !== undefined ? started + options.wait : undefined;
  for (let attempt = 1;; attempt++) {
    const left = until === undefined ? undefined : Math.max(until - Date.now(), 1);
    const timeout = left === undefined
      ? options.timeout
      : Math.min(options.timeout ?? Infinity, left);
    try {
      return await dialOnce(name, host, port, { ...options, timeout }, proxy, bindTo);
    } catch (error) {
      const more = attempt <= retries || (until !== undefined && Date.now() + delay < until);
      if (!retryable(error) || !more) {
        if (attempt === 1 || !(error instanceof SockitError)) throw error;
        const spent = formatDuration(Date.now() - started);
        throw new SockitError(`${error.message} (after ${attempt} tries in ${spent})`, {
          code: error.code,
          cause: error.cause,
        });
      }
      await pause(delay, options.signal, action);
    }
  }
}

/** One try: connect (to the proxy, if any), then ask the proxy for the tunnel. */
async function dialOnce(
  name: string,
  host: string,
  port: number,
  options: DialOptions,
  proxy: ProxySpec | undefined,
  bindTo: HostPort | undefined,
): Promise<Dialled> {
  const action = `${options.verb ?? "open"} "${name}"`;
  const hop = proxy ?? { host, port };
  const shown = proxy ? proxy.shown : formatHostPort(host, port);
  const nodelay = options.nodelay ?? true;
  const keepalive = options.keepalive === "off" ? undefined : options.keepalive;
  const started = Date.now();
  let raw: Deno.TcpConn | NodeTcpConn;
  try {
    if (bindTo || keepalive !== undefined) {
      raw = await withDeadline(
        nodeConnect(hop.host, hop.port, {
          localAddress: bindTo?.host,
          localPort: bindTo?.port,
          nodelay,
          keepalive,
        }, options.signal),
        options,
        (late) => late.close(),
      );
    } else {
      raw = await withDeadline(
        Deno.connect({ hostname: hop.host, port: hop.port, transport: "tcp" }),
        options,
        (late) => late.close(),
      );
      raw.setNoDelay(nodelay);
    }
  } catch (error) {
    if (systemErrorCode(error) === "cancelled") {
      throw new SockitError(`Cannot ${action}: cancelled`, { code: "cancelled" });
    }
    const failed = error as { code?: string; syscall?: string };
    const errno = failed?.code;
    if (bindTo && (errno === "EADDRINUSE" || errno === "EADDRNOTAVAIL" || errno === "EINVAL")) {
      // Deno's node:net reports both as EINVAL; the failing call tells them apart.
      const taken = errno === "EADDRINUSE" || (errno === "EINVAL" && failed.syscall === "connect");
      const where = formatHostPort(bindTo.host, bindTo.port);
      const why = taken
        ? "address already in use"
        : "not an address of this machine (or not of the peer's address family)";
      throw new SockitError(`Cannot ${action}: --bind ${where}: ${why}`, {
        code: taken ? "address-in-use" : "usage",
        cause: error,
      });
    }
    throw netError(options.verb ?? "open", name, shown, error);
  }
  const settings = {
    nodelay,
    keepalive: keepalive ?? "off" as const,
    proxy: proxy?.shown,
  };
  if (!proxy) return { conn: raw, options: new SocketOptions(raw, settings) };
  const rest = options.timeout === undefined
    ? undefined
    : Math.max(options.timeout - (Date.now() - started), 1);
  try {
    const tunnel = await withDeadline(
      proxyHandshake(raw, proxy, host, port, action),
      { timeout: rest, signal: options.signal },
    );
    return { conn: tunnel, options: new SocketOptions(raw, settings) };
  } catch (error) {
    raw.close();
    const code = systemErrorCode(error);
    if (code === "cancelled") {
      throw new SockitError(`Cannot ${action}: cancelled`, { code: "cancelled" });
    }
    if (code === "timeout") {
      throw new SockitError(`Cannot ${action}: ${proxy.shown} did not answer in time`, {
        code: "timeout",
      });
    }
    if (error instanceof SockitError) throw error;
    throw netError("open", name, proxy.shown, error);
  }
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
  const { conn, options: tuning } = await dialStream(name, host, port, options);
  try {
    registry.checkFreeName(name, "open");
  } catch (error) {
    conn.close();
    throw error;
  }
  const socket = new StreamSocket(name, "tcp", conn, registry.emit, { role: "client" });
  attachOptions(socket, tuning);
  if (tuning.proxy) socket.note = `via ${tuning.proxy}`;
  registry.add(socket);
  return socket;
}

/**
 * Listens on `ADDR` (a bare `:PORT` binds 127.0.0.1; port 0 picks a free one), through
 * {@link bindTcp} like every listener; synchronous.
 */
export function listenTcp(
  registry: SocketRegistry,
  name: string,
  address: string,
  options: { reusePort?: boolean } = {},
): Listener {
  registry.checkFreeName(name, "listen");
  const binding = bindTcp(address, { verb: "listen", name }, undefined, options.reusePort);
  return registerListener(registry, name, binding);
}
