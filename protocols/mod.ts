/**
 * The built-in servers, by name, and {@link startServer}, which starts one on a transport.
 *
 * | protocol  | transports          | does                                                   |
 * | --------- | ------------------- | ------------------------------------------------------ |
 * | `echo`    | tcp, udp, unix, tls | returns every byte (RFC 862); `--frame`: per message   |
 * | `ack`     | tcp, udp, unix, tls | answers each line with `ACK n "line"`; `--frame` too   |
 * | `chat`    | tcp, unix, tls      | a chat room: nickname first, then `nick: text` to all  |
 * | `discard` | tcp, udp, unix, tls | reads and drops everything (RFC 863)                   |
 * | `daytime` | tcp, udp, unix, tls | sends the date and closes (RFC 867)                    |
 * | `exec`    | tcp, unix, tls      | runs a program per connection, joined to the socket    |
 * | `broker`  | tcp, unix, tls      | each client's bytes go to every other client unchanged |
 *
 * Every server listens through the same `bind` as the shell's `listen` (one backlog, the Unix
 * stale-file policy with `force`, TLS on node:tls with the certificate and key checked as a
 * pair) and accepts on the same accept loop.
 *
 * `echo` over tcp runs on the native epoll loop of `native/` where it can (Linux, `--allow-ffi`,
 * an IP address; see {@link ServeOptions.busyPoll}), and on `Deno.listen` elsewhere.
 *
 * @example An echo server on a free port
 * ```ts
 * import { startServer } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const server = await startServer("echo", "tcp", "127.0.0.1:0");
 * const { hostname, port } = server.addr as Deno.NetAddr;
 * const conn = await Deno.connect({ hostname, port });
 * await conn.write(new TextEncoder().encode("hi"));
 * const buf = new Uint8Array(2);
 * assert.equal(await conn.read(buf), 2);
 * conn.close();
 * await server.close();
 * ```
 *
 * @module
 */
import { formatHostPort } from "../sockets/address.ts";
import type { StreamTransport } from "../sockets/stream_socket.ts";
import { bind, bindError, DEFAULT_BACKLOG, listenAddress } from "../sockets/bind.ts";
import { SockitError } from "../grammar/errors.ts";
import { nearest } from "../grammar/nearest.ts";
import { ackDatagram, ackStream } from "./ack.ts";
import { broker } from "./broker.ts";
import { chatRoom } from "./chat.ts";
import { checkExec, execStream } from "./exec.ts";
import { daytimeDatagram, daytimeStream } from "./daytime.ts";
import { discardDatagram, discardStream } from "./discard.ts";
import { echoDatagram, echoStream } from "./echo.ts";
import { type Framer, framer } from "./framing.ts";
import { DEFAULT_BUSY_POLL_US, nativeEchoFallback, startNativeEcho } from "./native/echo_server.ts";
import {
  type DatagramHandler,
  DatagramServer,
  type RunningServer,
  type ServerEventSink,
  type StreamHandler,
  StreamServer,
} from "./server.ts";

export type { RunningServer, ServerEvent, ServerEventSink, ServerStats } from "./server.ts";

/** The transports a built-in server can run on. */
export type ServeTransport = "tcp" | "udp" | "unix" | "tls";

/** Settings for a built-in server; all optional. */
export interface ServeOptions {
  /** Cut messages with this frame (echo and ack). */
  frame?: string;
  /** TLS certificate chain (PEM file), for `tls`. */
  cert?: string;
  /** TLS private key (PEM file), for `tls`. */
  key?: string;
  /** chat: bytes that may wait for one client before it is dropped (default 1 MiB). */
  maxQueue?: number;
  /** Listen backlog for stream transports (default 4096). */
  backlog?: number;
  /** unix: replace a stale socket file nobody answers on (never any other file), as `listen`. */
  force?: boolean;
  /** tls: ms a peer may take to finish its handshake (default 10 s). */
  handshakeTimeout?: number;
  /**
   * echo over tcp: microseconds the native loop keeps polling after a message before it sleeps
   * (default 50; 0: never poll). See `native/echo_loop.ts`.
   */
  busyPoll?: number;
  /**
   * echo over tcp: use the native loop where it can run (Linux, `--allow-ffi`, an IP address;
   * default true). False always uses the `Deno.listen` server.
   */
  native?: boolean;
  /** exec: the program and its arguments, run for each connection. */
  program?: string[];
  /** exec: send the program's `\n` line endings as `\r\n`. */
  crlf?: boolean;
  /**
   * Stream servers: sees each accepted connection before its handler does (`--log`; it may
   * replace the connection's methods). Set, it keeps echo off the native loop, which no one sees.
   */
  watch?: (conn: StreamTransport, id: number) => void;
  /** UDP servers: sees the bound socket before it serves (`--log`; it may replace methods). */
  watchDatagrams?: (conn: Deno.DatagramConn) => void;
}

/** Settings a protocol's handlers get. */
interface HandlerSettings {
  frame?: Framer;
  maxQueue?: number;
  program?: string[];
  crlf?: boolean;
  transport: string;
}

/** One built-in server. */
export interface Protocol {
  name: string;
  summary: string;
  transports: readonly ServeTransport[];
  /** Accepts `--frame`. */
  framed: boolean;
  stream?(settings: HandlerSettings): StreamHandler;
  datagram?(settings: HandlerSettings): DatagramHandler;
  /** Checks the settings before the server listens (throws a one-line SockitError). */
  check?(options: ServeOptions, action: string): void;
}

const ALL: readonly ServeTransport[] = ["tcp", "udp", "unix", "tls"];

/** The built-in servers by name. */
export const PROTOCOLS: ReadonlyMap<string, Protocol> = new Map<string, Protocol>([
  ["echo", {
    name: "echo",
    summary: "returns every byte as received (RFC 862)",
    transports: ALL,
    framed: true,
    stream: (s) => echoStream(s.frame),
    datagram: () => echoDatagram(),
  }],
  ["ack", {
    name: "ack",
    summary: 'answers each line with ACK n "line"',
    transports: ALL,
    framed: true,
    stream: (s) => ackStream(s.frame),
    datagram: () => ackDatagram(),
  }],
  ["chat", {
    name: "chat",
    summary: "a chat room: first line is the nickname, then nick: text to everyone else",
    transports: ["tcp", "unix", "tls"],
    framed: false,
    stream: (s) => chatRoom({ maxQueue: s.maxQueue }),
  }],
  ["discard", {
    name: "discard",
    summary: "reads and drops everything (RFC 863)",
    transports: ALL,
    framed: false,
    stream: () => discardStream(),
    datagram: () => discardDatagram(),
  }],
  ["daytime", {
    name: "daytime",
    summary: "sends the date and time, then closes (RFC 867)",
    transports: ALL,
    framed: false,
    stream: () => daytimeStream(),
    datagram: () => daytimeDatagram(),
  }],
  ["exec", {
    name: "exec",
    summary: "runs PROGRAM for each connection, its stdin and stdout joined to the socket",
    transports: ["tcp", "unix", "tls"],
    framed: false,
    check: (o, action) => checkExec(o.program, action),
    stream: (s) => execStream({ program: s.program!, transport: s.transport, crlf: s.crlf }),
  }],
  ["broker", {
    name: "broker",
    summary: "each client's bytes go to every other client unchanged (ncat --broker)",
    transports: ["tcp", "unix", "tls"],
    framed: false,
    stream: (s) => broker({ maxQueue: s.maxQueue }),
  }],
]);

function pick(table: Iterable<string>, value: string, what: string, action: string): void {
  const names = [...table];
  if (names.includes(value)) return;
  const guess = nearest(value, names);
  throw new SockitError(`Cannot ${action}: unknown ${what} "${value}"`, {
    code: "usage",
    hint: guess ? `did you mean ${guess}?` : `${what}s: ${names.join(", ")}`,
  });
}

/**
 * Starts a built-in server. `address` is `HOST:PORT` (a bare `:PORT` binds 127.0.0.1, port 0
 * picks a free one) or, for `unix`, a socket path (removed again when the server stops).
 * `name` words errors: `Cannot serve "e": address 127.0.0.1:7 already in use`.
 */
export async function startServer(
  protocol: string,
  transport: string,
  address: string,
  options: ServeOptions = {},
  emit: ServerEventSink = () => {},
  name: string = protocol,
): Promise<RunningServer> {
  const action = `serve "${name}"`;
  pick(PROTOCOLS.keys(), protocol, "protocol", action);
  const proto = PROTOCOLS.get(protocol)!;
  pick(ALL, transport, "transport", action);
  if (!proto.transports.includes(transport as ServeTransport)) {
    throw new SockitError(`Cannot ${action}: ${protocol} does not run on ${transport}`, {
      code: "usage",
      hint: `${protocol} runs on ${proto.transports.join(", ")}`,
    });
  }
  let frame: Framer | undefined;
  if (options.frame !== undefined && options.frame !== "none") {
    if (!proto.framed) {
      throw new SockitError(`Cannot ${action}: --frame applies to echo and ack, not ${protocol}`, {
        code: "usage",
      });
    }
    if (transport === "udp") {
      throw new SockitError(`Cannot ${action}: --frame is for streams; UDP keeps datagrams whole`, {
        code: "usage",
      });
    }
    frame = framer(options.frame);
  }
  proto.check?.(options, action);
  const { maxQueue, program, crlf } = options;
  const settings: HandlerSettings = { frame, maxQueue, program, crlf, transport };
  const who = { verb: "serve", name };
  const busyPoll = options.busyPoll ?? DEFAULT_BUSY_POLL_US;
  if (!Number.isInteger(busyPoll) || busyPoll < 0 || busyPoll > 1_000_000) {
    throw new SockitError(`Cannot ${action}: bad --busy-poll "${busyPoll}": use 0-1000000 µs`, {
      code: "usage",
    });
  }
  let detail: string | undefined;
  if (
    protocol === "echo" && transport === "tcp" && !frame && options.native !== false &&
    !options.watch
  ) {
    // The native loop makes its own listening socket (see native/echo_server.ts), with the same
    // address rules, backlog and error wording as bind().
    const { host, port } = listenAddress(address, who);
    try {
      const backlog = options.backlog ?? DEFAULT_BACKLOG;
      const native = startNativeEcho({ host, port, backlog, busyPollUs: busyPoll }, emit);
      if (native) return native;
    } catch (error) {
      throw bindError(who, formatHostPort(host, port), error);
    }
    detail = nativeEchoFallback(host);
  }
  const binding = await bind(transport, address, who, {
    force: options.force,
    backlog: options.backlog,
    tls: { cert: options.cert, key: options.key },
    handshakeTimeout: options.handshakeTimeout,
  });
  if (binding.kind === "udp") {
    options.watchDatagrams?.(binding.conn);
    return new DatagramServer(binding.conn, proto.datagram!(settings), emit);
  }
  return new StreamServer(binding, proto.stream!(settings), emit, detail, options.watch);
}
