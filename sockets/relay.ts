/**
 * `relay NAME LISTEN TARGET` and `sockit relay`: a plain forwarder. It listens through
 * {@link bind} (the one way to listen) and joins every accepted connection to a new connection to
 * TARGET, dialled through the transports (`dialStream`, `tlsDialer`, `dialUnix`), both directions
 * at once with {@link pipe}:
 *
 * - **half-close**: when one side ends its writing, that direction ends and the other side's
 *   writing is shut; the other direction flows on until it ends too (no fixed cut-off);
 * - **resets**: a side that resets (or fails a write) closes both connections at once (Deno has
 *   no abortive close, so the other side sees a reset only when it still had bytes in flight,
 *   otherwise end of stream);
 * - **UDP** (udp to udp only): each client address gets its own upstream socket, so answers go
 *   back to the right client; an upstream idle for `udpIdle` (default {@link DEFAULT_UDP_IDLE})
 *   is closed (checked every quarter of that).
 *
 * Endpoints are `[KIND:]ADDR`: `tcp:HOST:PORT` (the default kind: `:9000`, `127.0.0.1:9000`),
 * `tls:HOST:PORT`, `udp:HOST:PORT`, `unix:PATH` (a bare path starting with `/` or `.` is unix).
 *
 * @module
 */

import { formatAddr, formatHostPort, parseHostPort, requirePeerPort } from "./address.ts";
import { SockitError } from "../grammar/errors.ts";
import { nearest } from "../grammar/nearest.ts";
import { formatDuration } from "../grammar/duration.ts";
import {
  AcceptLoop,
  bind,
  bindUdp,
  type DatagramBinding,
  type StreamBinding,
  type Who,
} from "./bind.ts";
import { type EventSink, NamedSocket, type SocketInfo } from "./named_socket.ts";
import { pipe, type PipeEnd, type Stage } from "./relay_pipe.ts";
import type { StreamTransport } from "./stream_socket.ts";
import { dialStream } from "./tcp.ts";
import type { TlsOptions } from "./tls.ts";
import { resolveHost } from "./udp.ts";
import { dialUnix } from "./unix.ts";
import type { ConnectionControl } from "./toxics/_toxic.ts";
import { connectionControl, type ToxicSet } from "./toxics/toxics.ts";

/** The transports a relay listens on and dials. */
export type RelayKind = "tcp" | "tls" | "unix" | "udp";

const KINDS: readonly RelayKind[] = ["tcp", "tls", "unix", "udp"];

/** One side of a relay: its transport and its address (`HOST:PORT`, or a path for unix). */
export interface Endpoint {
  kind: RelayKind;
  address: string;
}

/** How long a UDP client's upstream socket lives without traffic, by default: 60 s. */
export const DEFAULT_UDP_IDLE = 60_000;

/** How long dialling TARGET may take for one connection, by default: 10 s. */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;

/**
 * Parses `[KIND:]ADDR` (see the module documentation); `action` words errors
 * (`relay "t"`). Addresses are checked here, so a typo fails before anything listens.
 *
 * @example The endpoint forms
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEndpoint } from "./relay.ts";
 * assert.deepEqual(parseEndpoint(":9000", "relay"), { kind: "tcp", address: ":9000" });
 * assert.deepEqual(parseEndpoint("tls:localhost:443", "relay"), {
 *   kind: "tls",
 *   address: "localhost:443",
 * });
 * assert.deepEqual(parseEndpoint("/tmp/x.sock", "relay"), { kind: "unix", address: "/tmp/x.sock" });
 * assert.throws(() => parseEndpoint("tpc:127.0.0.1:80", "relay"), /unknown transport "tpc"/);
 * ```
 */
export function parseEndpoint(text: string, action: string): Endpoint {
  const m = /^([A-Za-z][A-Za-z0-9]*):(.*)$/.exec(text);
  let endpoint: Endpoint;
  if (m && (KINDS as readonly string[]).includes(m[1].toLowerCase())) {
    endpoint = { kind: m[1].toLowerCase() as RelayKind, address: m[2] };
  } else if (m && (m[2].includes(":") || m[2].startsWith("/"))) {
    const guess = nearest(m[1], KINDS);
    throw new SockitError(`Cannot ${action}: unknown transport "${m[1]}" in "${text}"`, {
      code: "usage",
      hint: guess ? `did you mean ${guess}:?` : `endpoints: [tcp|tls|udp]:HOST:PORT or unix:PATH`,
    });
  } else if (text.startsWith("/") || text.startsWith(".")) {
    endpoint = { kind: "unix", address: text };
  } else endpoint = { kind: "tcp", address: text };
  if (endpoint.kind === "unix") {
    if (endpoint.address === "") {
      throw new SockitError(`Cannot ${action}: "${text}" has an empty path`, { code: "usage" });
    }
  } else parseHostPort(endpoint.address, action);
  return endpoint;
}

/** `tcp:127.0.0.1:9000`, `unix:/tmp/x.sock`: an endpoint as the user writes it. */
export function showEndpoint(e: Endpoint): string {
  return `${e.kind}:${e.address}`;
}

/** Settings for {@link startRelay}; all optional. */
export interface RelayOptions {
  /** A tls LISTEN side: the server's certificate chain and key (PEM files). */
  cert?: string;
  key?: string;
  /** A tls LISTEN side: ms a client may take to finish its handshake. */
  handshakeTimeout?: number;
  /** A unix LISTEN side: replace a stale socket file nobody answers on. */
  force?: boolean;
  /** A tls TARGET: extra CA, name to verify, ALPN, or no verification at all. */
  ca?: string;
  servername?: string;
  alpn?: string | string[];
  insecure?: boolean;
  /** ms dialling TARGET may take per connection (default {@link DEFAULT_CONNECT_TIMEOUT}). */
  connectTimeout?: number;
  /** udp: ms after which a client's idle upstream socket closes (default 60 s). */
  udpIdle?: number;
  /**
   * Stream relays: the stages each new connection passes its bytes through, per direction (`up`:
   * client to target, `down`: target to client), given the connection's two sides and its
   * control (how a stage closes or resets it). None by default: the plain fast path.
   */
  stages?: (id: number, direction: "up" | "down", connection: RelayConnection) => Stage[];
  /**
   * Stream relays: toxics (sockets/toxics/), changeable while traffic flows; their stages run
   * after `stages`. A tcp LISTEN side then accepts through `node:net`, so `reset_peer` can send
   * the client a real RST.
   */
  toxics?: ToxicSet;
}

/** One relayed stream connection, as {@link RelayOptions.stages} sees it. */
export interface RelayConnection {
  /** The accepted client. */
  client: StreamTransport;
  /** The connection to TARGET. */
  target: StreamTransport;
  /** How a stage closes or resets the connection (see sockets/toxics/). */
  control: ConnectionControl;
}

/** Something that happened on a relay, for the shell's events and the CLI log. */
export type RelayEvent =
  | { type: "accepted"; id: number; remote: string }
  | {
    type: "closed";
    id: number;
    remote: string;
    up: number;
    down: number;
    why?: string;
    /** Bytes toxics dropped on purpose. */
    cut?: number;
  }
  | { type: "error"; id?: number; message: string };

/** Receives relay events. */
export type RelayEventSink = (event: RelayEvent) => void;

/** Counters of a running relay. */
export interface RelayStats {
  /** Connections (udp: client addresses with an upstream socket) open now. */
  active: number;
  /** Connections (udp: client addresses) so far. */
  total: number;
  /** Bytes forwarded from clients to the target. */
  up: number;
  /** Bytes forwarded from the target to clients. */
  down: number;
}

/** A running relay. */
export interface RunningRelay extends AsyncDisposable {
  readonly listen: Endpoint;
  readonly target: Endpoint;
  /** The bound address (port 0 resolved). */
  readonly addr: Deno.Addr;
  /** A fact about the listening side worth showing (`replaced a stale socket file`). */
  readonly note?: string;
  stats(): RelayStats;
  /** Stops accepting, closes every relayed connection and waits for them; idempotent. */
  close(): Promise<void>;
  /** The toxics of a stream relay that has them. */
  readonly toxics?: ToxicSet;
}

/** One-line errors for both sides are worded `Cannot relay "NAME": …`. */
function whoOf(name: string): Who {
  return { verb: "relay", name };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Dials TARGET for connection `name`: the transports' own dialers, one per kind. */
async function targetDialer(
  target: Endpoint,
  options: RelayOptions,
  action: string,
): Promise<(name: string) => Promise<StreamTransport>> {
  const dial = { timeout: options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT };
  switch (target.kind) {
    case "tcp": {
      const { host, port } = parseHostPort(target.address, action);
      requirePeerPort(port, action);
      return async (name) => (await dialStream(name, host, port, dial)).conn;
    }
    case "unix":
      return (name) => dialUnix(name, target.address, dial);
    case "tls": {
      requirePeerPort(parseHostPort(target.address, action).port, action);
      const tls: TlsOptions = {
        ca: options.ca,
        servername: options.servername,
        alpn: options.alpn,
        insecure: options.insecure,
      };
      const dialer = await (await import("./tls_sockets.ts")).tlsDialer(
        target.address,
        tls,
        action,
      );
      return async (name) => (await dialer(name, dial)).t;
    }
  }
  throw new SockitError(`Cannot ${action}: cannot relay to ${target.kind}`, { code: "usage" });
}

/** Closes a transport, waiting for a TLS stream's close_notify to go out. */
async function closeQuietly(t: StreamTransport | undefined): Promise<void> {
  if (!t) return;
  try {
    t.close();
  } catch { /* already closed */ }
  await (t as { closed?: () => Promise<void> }).closed?.().catch(() => {});
}

/** Which side failed, and how: `client: connection reset`. */
function failureReason(direction: "up" | "down", end: PipeEnd): string | undefined {
  if (end.end === "eof") return undefined;
  // Up reads the client and writes the target; down the other way round.
  const side = (direction === "up") === (end.end === "read-failed") ? "client" : "target";
  return `${side}: ${reason(end.error)}`;
}

function reason(error: unknown): string {
  if (error instanceof Deno.errors.ConnectionReset) return "connection reset";
  if (error instanceof Deno.errors.BrokenPipe) return "connection reset (broken pipe)";
  if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
    return "closed";
  }
  return message(error).split("\n")[0];
}

/** Ends a relayed connection at once: its toxics' timers stop and both sides close. */
function closeBoth(c: { ended: AbortController; sides: Set<StreamTransport> }): void {
  c.ended.abort();
  for (const side of c.sides) {
    try {
      side.close();
    } catch { /* already closed */ }
  }
}

/** A stream relay: accept, dial, two pipes per connection. */
class StreamRelay implements RunningRelay {
  readonly listen: Endpoint;
  readonly target: Endpoint;
  readonly addr: Deno.Addr;
  readonly note?: string;
  readonly toxics?: ToxicSet;
  #emit: RelayEventSink;
  #dial: (name: string) => Promise<StreamTransport>;
  #name: string;
  #options: RelayOptions;
  #loop: AcceptLoop;
  #count = 0;
  #closedUp = 0;
  #closedDown = 0;
  #conns = new Map<
    number,
    {
      up: number;
      down: number;
      sides: Set<StreamTransport>;
      done: Promise<void>;
      ended: AbortController;
    }
  >();
  #stopping = false;
  #stopped?: Promise<void>;

  constructor(
    name: string,
    listen: Endpoint,
    target: Endpoint,
    binding: StreamBinding,
    dial: (name: string) => Promise<StreamTransport>,
    options: RelayOptions,
    emit: RelayEventSink,
  ) {
    this.#name = name;
    this.listen = listen;
    this.target = target;
    this.addr = binding.addr;
    this.note = binding.note;
    this.#dial = dial;
    this.#options = options;
    this.toxics = options.toxics;
    this.#emit = emit;
    this.#loop = new AcceptLoop(binding, {
      accepted: ({ transport }) => this.#accepted(transport),
      failed: (message) => this.#emit({ type: "error", message }),
    });
  }

  stats(): RelayStats {
    let up = this.#closedUp;
    let down = this.#closedDown;
    for (const c of this.#conns.values()) {
      up += c.up;
      down += c.down;
    }
    return { active: this.#conns.size, total: this.#count, up, down };
  }

  #accepted(client: StreamTransport): void {
    const id = ++this.#count;
    const entry = {
      up: 0,
      down: 0,
      sides: new Set([client]),
      done: Promise.resolve(),
      ended: new AbortController(),
    };
    this.#conns.set(id, entry);
    entry.done = this.#run(id, client, entry);
  }

  async #run(
    id: number,
    client: StreamTransport,
    entry: { up: number; down: number; sides: Set<StreamTransport>; ended: AbortController },
  ): Promise<void> {
    const remote = formatAddr(client.remoteAddr);
    this.#emit({ type: "accepted", id, remote });
    let why: string | undefined;
    let upstream: StreamTransport | undefined;
    try {
      // A TLS client shakes hands first: a failed handshake dials nothing.
      const ready = (client as { ready?: Promise<void> }).ready;
      if (ready) {
        await ready.catch((error) => {
          throw new SockitError(`TLS handshake failed: ${message(error)}`, { code: "tls" });
        });
      }
      if (this.#stopping) throw new SockitError("relay closed", { code: "closed" });
      upstream = await this.#dial(`${this.#name}#${id}`);
      entry.sides.add(upstream);
      if (this.#stopping) throw new SockitError("relay closed", { code: "closed" });
    } catch (error) {
      why = message(error);
      if (!this.#stopping) this.#emit({ type: "error", id, message: why });
    }
    let cutBytes = 0;
    if (upstream && why === undefined) {
      const to = upstream;
      // Each direction ends on its own (half-close); a failure on either closes both sides,
      // and the first failure is the reason (the other direction's is its consequence).
      let first: string | undefined;
      const cut = (direction: "up" | "down") => (end: PipeEnd) => {
        if (end.end !== "eof") {
          first ??= failureReason(direction, end);
          closeBoth(entry);
        }
        return end;
      };
      const control = connectionControl(client, to, {
        ended: entry.ended,
        why: (text) => first ??= text,
        cut: (n) => cutBytes += n,
      });
      const connection = { client, target: to, control };
      const stages = (direction: "up" | "down") => [
        ...this.#options.stages?.(id, direction, connection) ?? [],
        ...this.toxics?.stages(id, direction, control) ?? [],
      ];
      await Promise.all([
        pipe(client, to, (n) => entry.up += n, stages("up")).then(cut("up")),
        pipe(to, client, (n) => entry.down += n, stages("down")).then(cut("down")),
      ]);
      control.finish();
      why = this.#stopping ? "relay closed" : first;
    } else if (this.#stopping) why = "relay closed";
    await Promise.all([closeQuietly(client), closeQuietly(upstream)]);
    this.#conns.delete(id);
    this.#closedUp += entry.up;
    this.#closedDown += entry.down;
    this.#emit({
      type: "closed",
      id,
      remote,
      up: entry.up,
      down: entry.down,
      why,
      cut: cutBytes || undefined,
    });
  }

  close(): Promise<void> {
    return this.#stopped ??= this.#stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    await this.#loop.stop();
    const open = [...this.#conns.values()];
    for (const c of open) closeBoth(c);
    await Promise.all(open.map((c) => c.done));
  }
}

/** One UDP client of a relay: its address and its own upstream socket. */
interface UdpClient {
  id: number;
  addr: Deno.NetAddr;
  remote: string;
  conn: Deno.DatagramConn;
  last: number;
  up: number;
  down: number;
  done: Promise<void>;
}

/** A UDP relay: one upstream socket per client address, closed when idle. */
class UdpRelay implements RunningRelay {
  readonly listen: Endpoint;
  readonly target: Endpoint;
  readonly addr: Deno.Addr;
  readonly note = undefined;
  #conn: Deno.DatagramConn;
  #to: Deno.NetAddr;
  #name: string;
  #emit: RelayEventSink;
  #idle: number;
  #clients = new Map<string, UdpClient>();
  #count = 0;
  #closedUp = 0;
  #closedDown = 0;
  #stopping = false;
  #stopped?: Promise<void>;
  #loop: Promise<void>;
  #sweeper: ReturnType<typeof setInterval>;

  constructor(
    name: string,
    listen: Endpoint,
    target: Endpoint,
    binding: DatagramBinding,
    to: Deno.NetAddr,
    options: RelayOptions,
    emit: RelayEventSink,
  ) {
    this.#name = name;
    this.listen = listen;
    this.target = target;
    this.addr = binding.addr;
    this.#conn = binding.conn;
    this.#to = to;
    this.#emit = emit;
    this.#idle = options.udpIdle ?? DEFAULT_UDP_IDLE;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(10, this.#idle / 4));
    this.#loop = this.#receive();
  }

  stats(): RelayStats {
    let up = this.#closedUp;
    let down = this.#closedDown;
    for (const c of this.#clients.values()) {
      up += c.up;
      down += c.down;
    }
    return { active: this.#clients.size, total: this.#count, up, down };
  }

  #client(addr: Deno.NetAddr): UdpClient {
    const remote = formatAddr(addr);
    let client = this.#clients.get(remote);
    if (client) return client;
    const six = this.#to.hostname.includes(":");
    const loop = this.#to.hostname.startsWith("127.") || this.#to.hostname === "::1";
    const local = loop ? (six ? "::1" : "127.0.0.1") : (six ? "::" : "0.0.0.0");
    const { conn } = bindUdp(formatHostPort(local, 0), whoOf(`${this.#name}#${this.#count + 1}`));
    const id = ++this.#count;
    client = { id, addr, remote, conn, last: Date.now(), up: 0, down: 0, done: Promise.resolve() };
    this.#clients.set(remote, client);
    this.#emit({ type: "accepted", id, remote });
    client.done = this.#answers(client);
    return client;
  }

  /** Datagrams from clients, each sent on by that client's upstream socket. */
  async #receive(): Promise<void> {
    const buf = new Uint8Array(65536);
    while (!this.#stopping) {
      let data: Uint8Array;
      let from: Deno.Addr;
      try {
        [data, from] = await this.#conn.receive(buf);
      } catch (error) {
        if (this.#stopping || error instanceof Deno.errors.BadResource) return;
        this.#emit({ type: "error", message: message(error) });
        continue;
      }
      let client: UdpClient | undefined;
      try {
        client = this.#client(from as Deno.NetAddr);
        client.last = Date.now();
        client.up += await client.conn.send(data, this.#to);
      } catch (error) {
        if (this.#stopping) return;
        this.#emit({ type: "error", id: client?.id, message: message(error) });
      }
    }
  }

  /** Datagrams from the target to one client's upstream socket, sent back to that client. */
  async #answers(client: UdpClient): Promise<void> {
    const buf = new Uint8Array(65536);
    while (true) {
      let data: Uint8Array;
      try {
        [data] = await client.conn.receive(buf);
      } catch (error) {
        if (error instanceof Deno.errors.BadResource || this.#stopping) return;
        // An ICMP port unreachable from the target shows here: say so, keep the client.
        this.#emit({ type: "error", id: client.id, message: reason(error) });
        continue;
      }
      try {
        client.last = Date.now();
        client.down += await this.#conn.send(data, client.addr);
      } catch (error) {
        if (this.#stopping) return;
        this.#emit({ type: "error", id: client.id, message: message(error) });
      }
    }
  }

  #sweep(): void {
    const now = Date.now();
    for (const client of this.#clients.values()) {
      if (now - client.last >= this.#idle) {
        this.#drop(client, `idle for ${formatDuration(this.#idle)}`);
      }
    }
  }

  #drop(client: UdpClient, why: string): Promise<void> {
    if (this.#clients.get(client.remote) !== client) return client.done;
    this.#clients.delete(client.remote);
    try {
      client.conn.close();
    } catch { /* closed */ }
    this.#closedUp += client.up;
    this.#closedDown += client.down;
    this.#emit({
      type: "closed",
      id: client.id,
      remote: client.remote,
      up: client.up,
      down: client.down,
      why,
    });
    return client.done;
  }

  close(): Promise<void> {
    return this.#stopped ??= this.#stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#sweeper);
    try {
      this.#conn.close();
    } catch { /* closed */ }
    await this.#loop;
    await Promise.all([...this.#clients.values()].map((c) => this.#drop(c, "relay closed")));
  }
}

/**
 * Starts a relay named `name` from `listen` to `target` (`[KIND:]ADDR` each). Bad input (an
 * endpoint, a udp side joined to a stream side, TLS files, a busy address) is a one-line
 * SockitError `Cannot relay "NAME": …`; nothing listens then.
 *
 * @example Relaying TCP to an echo peer
 * ```ts
 * import assert from "node:assert/strict";
 * import { startRelay } from "./relay.ts";
 * const echo = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * (async () => {
 *   for await (const c of echo) c.readable.pipeTo(c.writable).catch(() => {});
 * })();
 * await using relay = await startRelay("t", "127.0.0.1:0", `tcp:127.0.0.1:${echo.addr.port}`);
 * const c = await Deno.connect({ hostname: "127.0.0.1", port: (relay.addr as Deno.NetAddr).port });
 * await c.write(new TextEncoder().encode("hi"));
 * const got = new Uint8Array(2);
 * assert.equal(await c.read(got), 2);
 * c.close();
 * echo.close();
 * ```
 */
export async function startRelay(
  name: string,
  listen: string,
  target: string,
  options: RelayOptions = {},
  emit: RelayEventSink = () => {},
): Promise<RunningRelay> {
  const action = `relay "${name}"`;
  const from = parseEndpoint(listen, action);
  const to = parseEndpoint(target, action);
  if ((from.kind === "udp") !== (to.kind === "udp")) {
    throw new SockitError(
      `Cannot ${action}: cannot join ${from.kind} to ${to.kind} (udp relays only to udp)`,
      { code: "usage", hint: "relay udp:ADDR udp:HOST:PORT, or two stream endpoints" },
    );
  }
  if ((options.cert || options.key) && from.kind !== "tls") {
    throw new SockitError(`Cannot ${action}: --cert and --key are for a tls: LISTEN side`, {
      code: "usage",
      hint: `for example relay ${name} tls:${from.address} ${target} --cert F --key F`,
    });
  }
  const who = whoOf(name);
  if (to.kind === "udp") {
    const { host, port } = parseHostPort(to.address, action);
    requirePeerPort(port, action);
    const ip = await resolveHost(host, action);
    const binding = await bind("udp", from.address, who) as DatagramBinding;
    return new UdpRelay(
      name,
      from,
      to,
      binding,
      { transport: "udp", hostname: ip, port },
      options,
      emit,
    );
  }
  const dial = await targetDialer(to, options, action);
  const binding = await bind(from.kind, from.address, who, {
    force: options.force,
    abortive: options.toxics !== undefined,
    tls: { cert: options.cert, key: options.key },
    handshakeTimeout: options.handshakeTimeout,
  }) as StreamBinding;
  return new StreamRelay(name, from, to, binding, dial, options, emit);
}

/**
 * A relay as a named socket in the shell's registry: `ls` shows it as a listener whose remote is
 * the target, with its connections (active/total) in the note and the bytes forwarded up
 * (client to target, the `in` column) and down (target to client, `out`). Its connections are
 * not registered as sockets; events name them `NAME#1`, `NAME#2`, … as for built-in servers.
 */
export class RelaySocket extends NamedSocket {
  readonly relay: RunningRelay;
  #closed = false;
  #local: string;

  private constructor(name: string, relay: RunningRelay, emit: EventSink) {
    super(name, relay.listen.kind, emit);
    this.relay = relay;
    this.#local = NamedSocket.addr(relay.addr);
  }

  /** Starts a relay (see {@link startRelay}) reporting to `emit` as registry events. */
  static async start(
    name: string,
    listen: string,
    target: string,
    options: RelayOptions,
    emit: EventSink,
  ): Promise<RelaySocket> {
    const child = (id: number | undefined) => id === undefined ? name : `${name}#${id}`;
    const relay = await startRelay(name, listen, target, options, (e) => {
      switch (e.type) {
        case "accepted":
          return emit({ type: "accepted", name, child: child(e.id), remote: e.remote });
        case "closed":
          return emit({ type: "closed", name: child(e.id), reason: closedText(e) });
        case "error":
          return emit({ type: "error", name: child(e.id), message: e.message });
      }
    });
    return new RelaySocket(name, relay, emit);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The bound address as Deno reports it. */
  get addr(): Deno.Addr {
    return this.relay.addr;
  }

  info(): SocketInfo {
    const s = this.relay.stats();
    const what = this.relay.listen.kind === "udp" ? "clients" : "connections";
    const note = [`relay to ${showEndpoint(this.relay.target)}`];
    note.push(`${s.active} active, ${s.total} total ${what}`);
    if (this.relay.note) note.push(this.relay.note);
    const toxics = this.relay.toxics?.list() ?? [];
    if (toxics.length > 0) note.push(`toxics: ${toxics.map((t) => t.name).join(", ")}`);
    return {
      name: this.name,
      kind: this.kind,
      role: "listener",
      state: this.#closed ? "closed" : "listening",
      local: this.#local,
      remote: this.relay.target.address,
      bytesIn: s.up,
      bytesOut: s.down,
      buffered: 0,
      note: note.join("; "),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.relay.close();
    this.emit({ type: "closed", name: this.name });
  }
}

/** `up 12 bytes, down 34 bytes; target: connection reset`: what a closed event says. */
export function closedText(e: Extract<RelayEvent, { type: "closed" }>): string {
  return `up ${e.up} bytes, down ${e.down} bytes` + (e.cut ? `, cut ${e.cut} bytes` : "") +
    (e.why ? `; ${e.why}` : "");
}
