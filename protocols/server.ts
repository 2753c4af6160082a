/**
 * The machinery every built-in server shares: the shell's own accept loop ({@link AcceptLoop})
 * over a listening transport opened by `bind` (TCP, Unix or TLS, exactly as `listen` opens
 * them), or a receive loop over a UDP socket; a numbered record per connection, events, and a
 * close that stops accepting, closes every connection and waits for its handler to finish.
 *
 * Handlers talk to the connection directly (`read`/`write` on a reused `Uint8Array`): no stream
 * adapters, timers or per-chunk promises on the hot path.
 *
 * @module
 */
import { AcceptLoop, type StreamBinding } from "../sockets/bind.ts";
import type { StreamTransport } from "../sockets/stream_socket.ts";

/** A connection a stream handler serves: a `Deno.Conn`, or a TLS stream on the same calls. */
export type ServerConn = StreamTransport;

/** Something that happened on a built-in server, for the shell's events and the CLI log. */
export type ServerEvent =
  | { type: "accepted"; id: number; remote: string }
  | { type: "closed"; id: number; remote: string; bytesIn: number; bytesOut: number; why?: string }
  /**
   * A protocol-level fact worth a log line: `joined as alice`, `dropped: not reading`;
   * `trouble` marks the ones about something going wrong (they reach the shell as errors).
   */
  | { type: "notice"; id?: number; text: string; trouble?: boolean }
  | { type: "error"; id?: number; message: string };

/** Receives server events. */
export type ServerEventSink = (event: ServerEvent) => void;

/** One client of a stream server (or one peer address of a datagram server). */
export interface Peer {
  /** Numbered from 1 in accept order. */
  readonly id: number;
  /** `127.0.0.1:52210`, or the Unix socket path. */
  readonly remote: string;
  bytesIn: number;
  bytesOut: number;
  /** Reports a notice about this peer; `trouble` when something went wrong. */
  notice(text: string, trouble?: boolean): void;
}

/** Serves one stream connection until it ends; the server closes `conn` afterwards. */
export interface StreamHandler {
  serve(conn: ServerConn, peer: Peer): Promise<void>;
  /** Called once when the server stops, before connections are closed. */
  close?(): void;
}

/** Answers one datagram; `reply` sends a datagram back to its sender. */
export interface DatagramHandler {
  receive(data: Uint8Array, peer: Peer, reply: (data: Uint8Array) => Promise<void>): Promise<void>;
}

/** Counters a running server reports (`ls`, the CLI). */
export interface ServerStats {
  /** Connections open now (datagram servers: peers seen). */
  active: number;
  /** Connections accepted so far (datagram servers: peers seen). */
  total: number;
  bytesIn: number;
  bytesOut: number;
}

/** A running built-in server. */
export interface RunningServer {
  readonly addr: Deno.Addr;
  /** How it runs, when that is worth a word in the log: `native loop, busy-poll 50 µs`. */
  readonly detail?: string;
  stats(): ServerStats;
  /** Stops accepting, closes every connection and waits for the handlers; idempotent. */
  close(): Promise<void>;
  /** Closes, for `await using server = await startServer(…)`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Formats an address for logs and `ls`. */
export function showAddr(addr: Deno.Addr): string {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return addr.hostname.includes(":")
      ? `[${addr.hostname}]:${addr.port}`
      : `${addr.hostname}:${addr.port}`;
  }
  return (addr as Deno.UnixAddr).path || "(unnamed)";
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Errors that mean "this connection went away", not "something is wrong". */
function isDisconnect(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.UnexpectedEof ||
    error instanceof Deno.errors.NotConnected;
}

interface Connection {
  conn: ServerConn;
  peer: Peer;
  done: Promise<void>;
}

/** Serves a stream listener with one handler; see the module documentation. */
export class StreamServer implements RunningServer {
  readonly addr: Deno.Addr;
  #handler: StreamHandler;
  #emit: ServerEventSink;
  #conns = new Map<number, Connection>();
  #count = 0;
  #closedIn = 0;
  #closedOut = 0;
  #closing = false;
  #stopped?: Promise<void>;
  #loop: AcceptLoop;
  #watch?: (conn: ServerConn, id: number) => void;

  readonly detail?: string;

  /** Serves `binding` (from `bind`) with `handler`, reporting to `emit`; `detail`: see there. */
  constructor(
    binding: StreamBinding,
    handler: StreamHandler,
    emit: ServerEventSink,
    detail?: string,
    watch?: (conn: ServerConn, id: number) => void,
  ) {
    this.#watch = watch;
    this.addr = binding.addr;
    this.detail = detail;
    this.#handler = handler;
    this.#emit = emit;
    this.#loop = new AcceptLoop(binding, {
      accepted: ({ transport }) => this.#accepted(transport),
      // A reset before accept ends one connection, not the server; at the descriptor limit the
      // loop pauses and says so once.
      failed: (message) => this.#emit({ type: "error", message }),
    });
  }

  stats(): ServerStats {
    let bytesIn = this.#closedIn;
    let bytesOut = this.#closedOut;
    for (const { peer } of this.#conns.values()) {
      bytesIn += peer.bytesIn;
      bytesOut += peer.bytesOut;
    }
    return { active: this.#conns.size, total: this.#count, bytesIn, bytesOut };
  }

  #accepted(conn: ServerConn): void {
    const id = ++this.#count;
    this.#watch?.(conn, id);
    const emit = this.#emit;
    const peer: Peer = {
      id,
      remote: showAddr(conn.remoteAddr),
      bytesIn: 0,
      bytesOut: 0,
      notice: (text, trouble) => emit({ type: "notice", id, text, trouble }),
    };
    this.#emit({ type: "accepted", id, remote: peer.remote });
    const entry: Connection = { conn, peer, done: Promise.resolve() };
    this.#conns.set(id, entry);
    entry.done = this.#run(entry);
  }

  async #run({ conn, peer }: Connection): Promise<void> {
    let why: string | undefined;
    try {
      await this.#handler.serve(conn, peer);
    } catch (error) {
      if (!this.#closing && !isDisconnect(error)) why = message(error);
      else if (!this.#closing) why = "reset by peer";
    }
    try {
      conn.close();
    } catch { /* already closed */ }
    // A TLS stream's close sends close_notify before the connection goes: wait for it.
    await (conn as { closed?: () => Promise<void> }).closed?.();
    this.#conns.delete(peer.id);
    this.#loop.wake(); // a descriptor came back: an accept paused at the limit can go on
    this.#closedIn += peer.bytesIn;
    this.#closedOut += peer.bytesOut;
    this.#emit({
      type: "closed",
      id: peer.id,
      remote: peer.remote,
      bytesIn: peer.bytesIn,
      bytesOut: peer.bytesOut,
      why: why ?? (this.#closing ? "server stopped" : undefined),
    });
  }

  close(): Promise<void> {
    return this.#stopped ??= this.#stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #stop(): Promise<void> {
    this.#closing = true;
    await this.#loop.stop();
    this.#handler.close?.();
    const open = [...this.#conns.values()];
    for (const { conn } of open) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    await Promise.all(open.map((c) => c.done));
  }
}

/** How many peer addresses a datagram server remembers (for its peer numbers and counts). */
const MAX_PEERS = 65536;

/** Serves a UDP socket with one handler: datagrams in, replies out. */
export class DatagramServer implements RunningServer {
  readonly addr: Deno.Addr;
  #conn: Deno.DatagramConn;
  #handler: DatagramHandler;
  #emit: ServerEventSink;
  #peers = new Map<string, Peer>();
  #count = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  #closing = false;
  #stopped?: Promise<void>;
  #loop: Promise<void>;

  constructor(conn: Deno.DatagramConn, handler: DatagramHandler, emit: ServerEventSink) {
    this.#conn = conn;
    this.addr = conn.addr;
    this.#handler = handler;
    this.#emit = emit;
    this.#loop = this.#receiveLoop();
  }

  stats(): ServerStats {
    return {
      active: this.#peers.size,
      total: this.#count,
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
    };
  }

  #peer(addr: Deno.Addr): Peer {
    const remote = showAddr(addr);
    let peer = this.#peers.get(remote);
    if (!peer) {
      if (this.#peers.size >= MAX_PEERS) this.#peers.delete(this.#peers.keys().next().value!);
      const id = ++this.#count;
      const emit = this.#emit;
      peer = {
        id,
        remote,
        bytesIn: 0,
        bytesOut: 0,
        notice: (text, trouble) => emit({ type: "notice", id, text, trouble }),
      };
      this.#peers.set(remote, peer);
      this.#emit({ type: "accepted", id, remote });
    }
    return peer;
  }

  async #receiveLoop(): Promise<void> {
    const buf = new Uint8Array(65536);
    while (!this.#closing) {
      let data: Uint8Array;
      let addr: Deno.Addr;
      try {
        [data, addr] = await this.#conn.receive(buf);
      } catch (error) {
        if (this.#closing || error instanceof Deno.errors.BadResource) return;
        this.#emit({ type: "error", message: message(error) });
        continue;
      }
      const peer = this.#peer(addr);
      peer.bytesIn += data.length;
      this.#bytesIn += data.length;
      const reply = async (out: Uint8Array) => {
        const n = await this.#conn.send(out, addr);
        peer.bytesOut += n;
        this.#bytesOut += n;
      };
      try {
        await this.#handler.receive(data, peer, reply);
      } catch (error) {
        if (this.#closing) return;
        this.#emit({ type: "error", id: peer.id, message: message(error) });
      }
    }
  }

  close(): Promise<void> {
    return this.#stopped ??= this.#stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #stop(): Promise<void> {
    this.#closing = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    await this.#loop;
  }
}
