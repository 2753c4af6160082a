/**
 * The sockets `sockit connect` and `sockit listen` pipe through: a connection of any transport
 * as a {@link PipeConn} (a plain Deno connection, a TLS transport over one, or a UDP socket kept
 * to one peer), dialled or accepted with the project's address parsing and one-line errors.
 *
 * @module
 */
import { bind as bindStream, type StreamBinding } from "../sockets/bind.ts";
import { formatHostPort, parseHostPort, requirePeerPort } from "../sockets/address.ts";
import { netError } from "../sockets/errors_map.ts";
import { dialStream, withDeadline } from "../sockets/tcp.ts";
import { SockitError } from "../grammar/errors.ts";
import type { TlsOptions } from "../sockets/tls.ts";
import type { StreamTransport } from "../sockets/stream_socket.ts";

/** The transports the pipes run on. */
export const PIPE_KINDS = ["tcp", "tls", "udp", "unix"] as const;

/** One of {@link PIPE_KINDS}. */
export type PipeKind = typeof PIPE_KINDS[number];

/** What `sockit connect` dials besides {@link PIPE_KINDS}: a WebSocket URL. */
export type DialKind = PipeKind | "ws" | "wss";

/**
 * `ws://…` or `wss://…` given alone: a WebSocket to pipe lines to (websocat's habit), as
 * `[kind, url]`; undefined for any other words.
 */
export function wsKindAndUrl(words: string[]): ["ws" | "wss", string] | undefined {
  const m = words.length === 1 ? /^([a-z][\w+.-]*):\/\//i.exec(words[0]) : null;
  if (!m) return undefined;
  const scheme = m[1].toLowerCase();
  if (scheme === "ws" || scheme === "wss") return [scheme, words[0]];
  throw new SockitError(`Cannot connect to "${words[0]}": ${scheme}:// is no URL sockit dials`, {
    code: "usage",
    hint: "URLs are ws:// and wss://; other transports take [tcp|tls|udp|unix] ADDR",
  });
}

/** A byte stream (or a datagram socket kept to one peer) the pipe reads and writes. */
export interface PipeConn extends StreamTransport {
  /** Datagrams: the largest write, and each write is one datagram. */
  readonly datagram?: number;
  /** A message transport (WebSocket): the peer's close ends both directions. */
  readonly endsTogether?: boolean;
  /** Why the way the peer ended is a failure (a WebSocket close code), once it has. */
  failure?(): string | undefined;
}

/** Accepts pipe connections one at a time. */
export interface PipeListener {
  readonly addr: Deno.Addr;
  accept(): Promise<PipeConn>;
  close(): void;
}

/** The largest UDP payload over IPv4. */
const MAX_DATAGRAM = 65507;

const tls = () => import("../sockets/tls.ts");

/** Settings for {@link dial} and {@link bind}: TLS files and flags, a connect deadline in ms. */
export interface EndpointOptions extends TlsOptions {
  timeout?: number;
  /** tcp/tls: keep trying until the port accepts, up to this many ms. */
  wait?: number;
  /** tcp/tls: try this many more times while refused or unreachable. */
  retry?: number;
  /** ms between tries. */
  retryDelay?: number;
  /** tcp/tls: a socks5://, socks5h:// or http:// proxy. */
  proxy?: string;
  /** UDP listen: read every sender, answer the latest (`-k`), not only the first. */
  anyPeer?: boolean;
  /** ws/wss: request headers (`K:V`) and subprotocols to offer. */
  header?: string[];
  subprotocol?: string[];
  /** ws/wss: raw binary messages both ways instead of lines and text messages. */
  binary?: boolean;
}

/** Connects to `address` over `kind`; errors are one line naming the action and the address. */
export async function dial(
  kind: DialKind,
  address: string,
  options: EndpointOptions = {},
): Promise<PipeConn> {
  const action = `connect to ${address}`;
  if (kind === "ws" || kind === "wss") {
    // One way to talk WebSocket from a pipe: sockets/ws_pipe.ts (`sockit ws` is this too).
    const { openWsPipe } = await import("../sockets/ws_pipe.ts");
    return await openWsPipe(address, { ...options, verb: "connect to", label: address });
  }
  if (kind === "unix") {
    try {
      return await withDeadline(
        Deno.connect({ transport: "unix", path: address }),
        options,
        (late) => late.close(),
      );
    } catch (error) {
      throw netError("connect to", address, address, error);
    }
  }
  const { host, port } = parseHostPort(address, action);
  requirePeerPort(port, action);
  const shown = formatHostPort(host, port);
  if (kind === "udp") return udpConn(host, port, shown);
  const { tlsSettings, startTlsOver, portOf } = kind === "tls" ? await tls() : ({} as never);
  const start = { ...options, isServer: false, host, action };
  const prepared = kind === "tls" ? await tlsSettings(start) : undefined;
  // The shell's one dial (proxy, retries, waiting for the port); its errors name the address.
  const { conn } = await dialStream(shown, host, port, {
    timeout: options.timeout,
    wait: options.wait,
    retry: options.retry,
    retryDelay: options.retryDelay,
    proxy: options.proxy,
    verb: "connect to",
  });
  if (kind === "tcp") return conn as PipeConn;
  const t = await startTlsOver(portOf(conn), start, prepared);
  try {
    await withDeadline(t.ready, options);
  } catch (error) {
    t.close();
    throw new SockitError(`Cannot ${action}: TLS handshake failed: ${(error as Error).message}`, {
      code: error instanceof Deno.errors.TimedOut ? "timeout" : "tls",
      cause: error,
    });
  }
  return t;
}

/** Listens on `address` over `kind` (a unix socket file is removed again on close). */
export async function bind(
  kind: PipeKind,
  address: string,
  options: EndpointOptions = {},
): Promise<PipeListener> {
  const action = `listen on ${address}`;
  if (kind === "udp") {
    const { host, port } = parseHostPort(address, action);
    return udpListener(host, port, formatHostPort(host, port), options.anyPeer === true);
  }
  // The one way to listen, as the shell's listen and serve do (backlog, unix stale-file policy,
  // a socket file removed only if it is still ours, TLS on node:tls with the pair checked).
  const { cert, key, alpn } = options;
  const binding = await bindStream(kind, address, { verb: "listen on", name: address }, {
    tls: { cert, key, alpn },
  }) as StreamBinding;
  return {
    addr: binding.addr,
    // A TLS connection is still shaking hands: its reads and writes wait for it.
    accept: async () => (await binding.accept()).transport as PipeConn,
    close: () => binding.close(),
  };
}

function openDatagram(hostname: string, port: number, shown: string): Deno.DatagramConn {
  try {
    return Deno.listenDatagram({ hostname, port, transport: "udp" });
  } catch (error) {
    throw netError(port === 0 ? "connect to" : "listen on", shown, shown, error);
  }
}

/** A UDP socket that sends to one peer and reads only that peer's datagrams. */
function udpConn(host: string, port: number, shown: string): PipeConn {
  const conn = openDatagram(host.includes(":") ? "::" : "0.0.0.0", 0, shown);
  const peer: Deno.NetAddr = { transport: "udp", hostname: host, port };
  return datagramPeer(conn, peer, () => conn.close());
}

function datagramPeer(
  conn: Deno.DatagramConn,
  peer: Deno.NetAddr,
  close: () => void,
  first?: Uint8Array,
): PipeConn {
  let pending = first;
  return {
    localAddr: conn.addr,
    remoteAddr: peer,
    datagram: MAX_DATAGRAM,
    async read(p) {
      if (pending) {
        const n = Math.min(p.length, pending.length);
        p.set(pending.subarray(0, n));
        pending = undefined;
        return n;
      }
      while (true) {
        let data: Uint8Array;
        let from: Deno.Addr;
        try {
          [data, from] = await conn.receive(p);
        } catch (error) {
          if (error instanceof Deno.errors.BadResource) return null;
          throw error;
        }
        const f = from as Deno.NetAddr;
        if (f.port === peer.port && sameHost(f.hostname, peer.hostname)) return data.length;
      }
    },
    write: (p) => conn.send(p, peer),
    closeWrite: () => Promise.resolve(),
    close,
  };
}

/** `127.0.0.1` and `::ffff:127.0.0.1` are one host. */
function sameHost(a: string, b: string): boolean {
  return a.replace(/^::ffff:/, "") === b.replace(/^::ffff:/, "");
}

/**
 * A bound UDP socket as one pipe connection: datagrams from the first sender (or, with
 * `anyPeer`, from every sender) are read, and writes go to that sender (the latest one).
 */
function udpListener(host: string, port: number, shown: string, anyPeer: boolean): PipeListener {
  const conn = openDatagram(host, port, shown);
  return {
    addr: conn.addr,
    async accept() {
      const buf = new Uint8Array(MAX_DATAGRAM + 1);
      const [data, from] = await conn.receive(buf);
      const first = data.slice();
      if (!anyPeer) return datagramPeer(conn, from as Deno.NetAddr, () => {}, first);
      let peer = from as Deno.NetAddr;
      let pending: Uint8Array | undefined = first;
      return {
        localAddr: conn.addr,
        get remoteAddr() {
          return peer;
        },
        datagram: MAX_DATAGRAM,
        async read(p: Uint8Array) {
          if (pending) {
            const n = Math.min(p.length, pending.length);
            p.set(pending.subarray(0, n));
            pending = undefined;
            return n;
          }
          try {
            const [got, sender] = await conn.receive(p);
            peer = sender as Deno.NetAddr;
            return got.length;
          } catch (error) {
            if (error instanceof Deno.errors.BadResource) return null;
            throw error;
          }
        },
        write: (p: Uint8Array) => conn.send(p, peer),
        closeWrite: () => Promise.resolve(),
        close: () => {},
      };
    },
    close: () => conn.close(),
  };
}
