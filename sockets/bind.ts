/**
 * The one way to listen: {@link bind} opens the listening transport for `listen` (the shell's
 * {@link Listener} and `UdpListener`) and for the built-in servers (`serve`, `sockit serve`)
 * alike, so that they behave the same: the same address rules (a bare `:PORT` binds 127.0.0.1),
 * the same listen backlog, the same Unix stale-file policy and `--force`, the same TLS engine
 * (`node:tls`, with the certificate and key checked as a pair and a handshake timeout), and the
 * same one-line errors. {@link AcceptLoop} is the one accept loop over what it returns.
 *
 * @module
 */

import { formatHostPort, type HostPort, parseHostPort } from "./address.ts";
import { SockitError } from "../grammar/errors.ts";
import { netError } from "./errors_map.ts";
import type { StreamTransport } from "./stream_socket.ts";
import type { TlsOptions } from "./tls.ts";

/** The transports one can listen on. */
export type ListenKind = "tcp" | "unix" | "tls" | "udp";

/** Who listens, to word errors: `Cannot listen "srv": …`, `Cannot serve "e": …`. */
export interface Who {
  /** The action: `listen`, `serve`. */
  verb: string;
  /** The socket's name. */
  name: string;
}

/** Listen backlog for stream transports: near the kernel's somaxconn (Deno's default is 511). */
export const DEFAULT_BACKLOG = 4096;

/** How long a TLS peer may take to finish its handshake, by default: 10 s. */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;

/** Settings for {@link bind}; all optional. */
export interface BindOptions {
  /** unix: replace a stale socket file nobody answers on (never any other file). */
  force?: boolean;
  /** Stream transports: the listen backlog (default {@link DEFAULT_BACKLOG}). */
  backlog?: number;
  /** tls: the server's files (`cert`, `key`) and ALPN protocols. */
  tls?: TlsOptions;
  /** tls: ms a peer may take to finish its handshake (default {@link DEFAULT_HANDSHAKE_TIMEOUT}). */
  handshakeTimeout?: number;
  /** tcp, tls: set SO_REUSEPORT, so that several listeners share one port (Linux). */
  reusePort?: boolean;
  /**
   * tcp: accept through `node:net`, so that a connection can be reset (a real RST, which a
   * Deno conn's close cannot send): relays with toxics (`reset_peer`). Slower per read.
   */
  abortive?: boolean;
}

/** One accepted connection. */
export interface Accepted {
  /** The byte stream (a TLS child is still shaking hands: its reads and writes wait for it). */
  transport: StreamTransport;
  /** What `ls` shows for it at first (`tls handshaking`). */
  note?: string;
  /** The note once the handshake has ended, either way. */
  settled?: Promise<string>;
}

/** A listening stream transport (tcp, unix, tls). */
export interface StreamBinding {
  readonly kind: "tcp" | "unix" | "tls";
  readonly addr: Deno.Addr;
  /** A fact worth showing in `ls` (`replaced a stale socket file`). */
  readonly note?: string;
  /** The next connection. Rejects with `BadResource` once closed. */
  accept(): Promise<Accepted>;
  /** Stops listening (a Unix socket file is removed if it is still the one made here). */
  close(): void;
}

/** A bound UDP socket. */
export interface DatagramBinding {
  readonly kind: "udp";
  readonly addr: Deno.Addr;
  readonly note?: undefined;
  readonly conn: Deno.DatagramConn;
}

/** What {@link bind} returns. */
export type Binding = StreamBinding | DatagramBinding;

const KINDS: readonly ListenKind[] = ["tcp", "unix", "tls", "udp"];

/**
 * Opens the listening transport of `kind` at `address` (`HOST:PORT`, or a path for unix).
 * Every failure is a one-line SockitError naming the verb, the name and the value.
 *
 * @example Listening on a free TCP port
 * ```ts
 * import assert from "node:assert/strict";
 * import { bind } from "./bind.ts";
 * const binding = await bind("tcp", ":0", { verb: "listen", name: "srv" });
 * assert(binding.kind === "tcp");
 * assert.equal((binding.addr as Deno.NetAddr).hostname, "127.0.0.1");
 * binding.close();
 * ```
 */
export async function bind(
  kind: string,
  address: string,
  who: Who,
  options: BindOptions = {},
): Promise<Binding> {
  switch (kind) {
    case "tcp":
      if (options.abortive) return await bindNodeTcp(address, who, options.backlog);
      return bindTcp(address, who, options.backlog, options.reusePort);
    case "udp":
      return bindUdp(address, who);
    case "unix":
      return (await import("./unix.ts")).bindUnix(address, who, options.force === true);
    case "tls":
      return (await import("./tls_sockets.ts")).bindTls(address, who, options);
  }
  throw new SockitError(`Cannot ${who.verb} "${who.name}": unknown transport "${kind}"`, {
    code: "usage",
    hint: `transports: ${KINDS.join(", ")}`,
  });
}

/** Parses a listening address, wording errors for `who`. */
export function listenAddress(address: string, who: Who): HostPort {
  return parseHostPort(address, `${who.verb} "${who.name}"`);
}

/** Words a runtime error from listening on `address` as a one-line SockitError for `who`. */
export function bindError(who: Who, address: string, error: unknown): SockitError {
  return netError(who.verb, who.name, address, error);
}

/** A TCP listener on `address` with the shared backlog (TLS listens through here too). */
export function tcpListener(
  address: string,
  who: Who,
  backlog?: number,
  reusePort?: boolean,
): Deno.TcpListener {
  const { host, port } = listenAddress(address, who);
  try {
    return Deno.listen({
      hostname: host,
      port,
      transport: "tcp",
      tcpBacklog: backlog ?? DEFAULT_BACKLOG,
      reusePort: reusePort === true,
    });
  } catch (error) {
    throw bindError(who, formatHostPort(host, port), error);
  }
}

/**
 * {@link bind} for tcp, synchronously (so `listenTcp` can stay synchronous): accepted
 * connections have Nagle off.
 */
export function bindTcp(
  address: string,
  who: Who,
  backlog?: number,
  reusePort?: boolean,
): StreamBinding {
  const listener = tcpListener(address, who, backlog, reusePort);
  return {
    kind: "tcp",
    addr: listener.addr,
    async accept() {
      const conn = await listener.accept();
      conn.setNoDelay(true);
      return { transport: conn };
    },
    close: () => listener.close(),
  };
}

/**
 * {@link bind} for tcp through `node:net` (`abortive`): the accepted connections are
 * {@link NodeTcpConn}s, with Nagle off and half-close kept, that `reset()` can abort.
 */
async function bindNodeTcp(address: string, who: Who, backlog?: number): Promise<StreamBinding> {
  const { host, port } = listenAddress(address, who);
  const net = (await import("node:net")).default;
  const { NodeTcpConn } = await import("./node_tcp.ts");
  const waiting: ((c: Accepted | Error) => void)[] = [];
  const ready: Accepted[] = [];
  let closed = false;
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) => {
    socket.setNoDelay(true);
    const accepted = { transport: new NodeTcpConn(socket) };
    const wake = waiting.shift();
    if (wake) wake(accepted);
    else ready.push(accepted);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => reject(bindError(who, formatHostPort(host, port), error)));
    server.listen({ host, port, backlog: backlog ?? DEFAULT_BACKLOG }, () => resolve());
  });
  const info = server.address() as { address: string; port: number };
  return {
    kind: "tcp",
    addr: { transport: "tcp", hostname: info.address, port: info.port },
    accept() {
      const next = ready.shift();
      if (next) return Promise.resolve(next);
      if (closed) return Promise.reject(new Deno.errors.BadResource("listener closed"));
      return new Promise((resolve, reject) => {
        waiting.push((c) => c instanceof Error ? reject(c) : resolve(c));
      });
    },
    close() {
      if (closed) return;
      closed = true;
      server.close();
      for (const a of ready.splice(0)) a.transport.close();
      for (const wake of waiting.splice(0)) wake(new Deno.errors.BadResource("listener closed"));
    },
  };
}

/** {@link bind} for udp, synchronously. */
export function bindUdp(address: string, who: Who): DatagramBinding {
  const { host, port } = listenAddress(address, who);
  let conn: Deno.DatagramConn;
  try {
    conn = Deno.listenDatagram({ hostname: host, port, transport: "udp" });
  } catch (error) {
    throw bindError(who, formatHostPort(host, port), error);
  }
  return { kind: "udp", addr: conn.addr, conn };
}

/** Who is told about each accepted connection, and about trouble, by an {@link AcceptLoop}. */
export interface AcceptHandlers {
  /** A new connection (after `stop()` none is delivered: it is closed instead). */
  accepted(connection: Accepted): void;
  /**
   * Accepting failed without ending the listener (a reset before accept, the descriptor
   * limit): told once per episode of failures, however many attempts it takes.
   */
  failed(message: string): void;
}

/** The first pause after a failed accept, in ms; each further failure doubles it. */
export const ACCEPT_PAUSE_MIN = 5;
/** The longest pause between failed accepts, in ms. */
export const ACCEPT_PAUSE_MAX = 1000;
/** A failed accept after this many ms without one starts a new episode, and is told. */
export const ACCEPT_QUIET = 5000;

/** True for "too many open files", the process's (EMFILE) or the system's (ENFILE). */
function outOfDescriptors(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === "EMFILE" || code === "ENFILE" || /\(os error 2[34]\)/.test(String(error));
}

/** How a failed accept is told. */
function acceptTrouble(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return outOfDescriptors(error)
    ? `cannot accept: ${text}; accepting paused until a descriptor frees up (connections wait ` +
      "in the backlog)"
    : text;
}

/**
 * The one accept loop: takes connections from a {@link StreamBinding} until stopped, handing
 * each to `accepted`. A failed accept ends one connection, not the listener. An episode of
 * failures (at the descriptor limit every accept fails; a freed descriptor lets one through,
 * then they fail again) is told once: a failure is told only after {@link ACCEPT_QUIET} ms
 * without one. The loop pauses between failed attempts, from {@link ACCEPT_PAUSE_MIN} ms doubling up to {@link ACCEPT_PAUSE_MAX}
 * ms, or until {@link AcceptLoop.wake} says a descriptor came back, as the native echo loop
 * stops accepting until a connection closes; a success resets the pause.
 */
export class AcceptLoop {
  readonly #binding: StreamBinding;
  #stopping = false;
  #failures = 0;
  #resume: (() => void) | undefined;
  /** Settles when the loop has ended. */
  readonly done: Promise<void>;

  /** Starts accepting at once. */
  constructor(binding: StreamBinding, handlers: AcceptHandlers) {
    this.#binding = binding;
    this.done = this.#run(handlers);
  }

  /** True once {@link AcceptLoop.stop} was called. */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Accepts that failed so far (each pause counts one attempt, not a spin). */
  get failures(): number {
    return this.#failures;
  }

  /** Ends a pause after a failed accept now (a connection closed: a descriptor is free). */
  wake(): void {
    this.#resume?.();
  }

  async #run(handlers: AcceptHandlers): Promise<void> {
    let pause = 0; // 0: the last accept succeeded
    let lastFailure = -Infinity;
    while (!this.#stopping) {
      let connection: Accepted;
      try {
        connection = await this.#binding.accept();
      } catch (error) {
        if (this.#stopping || error instanceof Deno.errors.BadResource) return;
        this.#failures++;
        const now = Date.now();
        if (now - lastFailure > ACCEPT_QUIET) handlers.failed(acceptTrouble(error));
        lastFailure = now;
        pause = pause === 0 ? ACCEPT_PAUSE_MIN : Math.min(pause * 2, ACCEPT_PAUSE_MAX);
        await this.#rest(pause);
        continue;
      }
      pause = 0;
      if (this.#stopping) {
        try {
          connection.transport.close();
        } catch { /* already gone */ }
        return;
      }
      handlers.accepted(connection);
    }
  }

  /** Waits `ms`, or until woken or stopped. */
  #rest(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#resume = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#resume = done;
    });
  }

  /** Stops listening and waits for the loop to end; idempotent. */
  stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      try {
        this.#binding.close();
      } catch { /* already closed */ }
      this.wake();
    }
    return this.done;
  }
}
