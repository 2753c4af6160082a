import { SockitError, systemErrorCode } from "../grammar/errors.ts";
import { type EventSink, NamedSocket, type SocketInfo, type SocketState } from "./named_socket.ts";
import { type ReadOptions, type ReadResult, ReceiveBuffer } from "./receive_buffer.ts";
import { StreamWriter, type WriteOptions } from "./stream_writer.ts";
import { deliver } from "./delivery.ts";

/** The few raw calls a stream transport must supply (a `Deno.Conn` does). */
export interface StreamTransport {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  readonly localAddr: Deno.Addr;
  readonly remoteAddr: Deno.Addr;
}

/** Settings for a stream socket; all optional. */
export interface StreamSocketOptions {
  /** `client` when we dialled, `accepted` for a listener's child. */
  role?: "client" | "accepted";
  /** Receive buffer high-water mark in bytes: above it the socket stops reading. */
  cap?: number;
  /**
   * A listener's child: when the peer closes and nothing has claimed the socket
   * ({@link StreamSocket.hold}) or sent to it, give the descriptor back at once (the buffered
   * bytes stay readable; the state stays `peer-closed`), then call this.
   */
  releasedAtEof?: () => void;
}

/** What the read pump hands to an upgrade: the result of the read it had in flight. */
export type Handover = { bytes: Uint8Array } | { eof: true } | { error: unknown };

/** The plain side an upgrade (STARTTLS) builds on: the connection and its incoming bytes. */
export interface PlainSide {
  /** The plain transport: write to it; do not read it (read `incoming`). */
  conn: StreamTransport;
  /** Every byte the peer sends from the upgrade on, in order, including any in-flight read. */
  incoming: AsyncIterable<Uint8Array>;
}

const MIN_READ = 4 * 1024;
const MAX_READ = 256 * 1024;

/**
 * A named, connected byte stream (TCP, TLS, Unix). A read pump moves incoming bytes into a
 * {@link ReceiveBuffer} where they wait, in order, until a `recv…` call takes them; while the
 * buffer is `full` the pump awaits `waitForSpace()` and TCP flow control holds the peer back. A
 * waiting read that needs more than the cap raises it (the buffer wakes the pump), so the pump
 * never decides the cap itself.
 */
export class StreamSocket extends NamedSocket {
  readonly buffer: ReceiveBuffer;
  readonly role: "client" | "accepted";
  #conn: StreamTransport;
  #local: string;
  #remote: string;
  #writeShut = false;
  #peerClosed = false;
  #closed = false;
  #writer: StreamWriter;
  #pumpDone: Promise<void>;
  /** Armed by upgrade(): the pump gives its next read's result here instead of the buffer. */
  #handover: ((h: Handover) => void) | undefined;
  /** Settles when an upgrade ends: true when the pump should go on reading the new transport. */
  #swapped: Promise<boolean> = Promise.resolve(true);
  #upgrading = false;
  #releasedAtEof: (() => void) | undefined;
  #held = false;
  #released = false;

  constructor(
    name: string,
    kind: string,
    conn: StreamTransport,
    emit: EventSink,
    options: StreamSocketOptions = {},
  ) {
    super(name, kind, emit);
    this.#conn = conn;
    this.role = options.role ?? "client";
    this.buffer = new ReceiveBuffer({ cap: options.cap, initialSize: MIN_READ });
    this.#local = NamedSocket.addr(conn.localAddr);
    this.#remote = NamedSocket.addr(conn.remoteAddr);
    this.#writer = new StreamWriter(name, {
      write: (p) => this.#conn.write(p),
      counted: (n) => this.bytesOut += n,
      tapped: (bytes) => this.tap?.data(this, "out", bytes),
    });
    this.#releasedAtEof = options.releasedAtEof;
    this.#pumpDone = this.#pump();
  }

  /** Keeps the descriptor after the peer closes (a child handed out by `accept`). */
  hold(): void {
    this.#held = true;
  }

  /** True once the descriptor went back after the peer closed (see `releasedAtEof`). */
  get released(): boolean {
    return this.#released;
  }

  /** Nothing more can come or go: closed by us, or released with every byte read. */
  get finished(): boolean {
    return this.#closed || (this.#released && this.buffer.size === 0);
  }

  /** At end of stream: releases the descriptor of an unclaimed child nobody sent to. */
  #releaseAtEof(): void {
    if (!this.#releasedAtEof || this.#held || this.#closed || this.bytesOut > 0) return;
    if (this.#writer.pending > 0 || this.#upgrading) return;
    this.#released = true;
    this.#writer.close();
    try {
      this.#conn.close();
    } catch { /* already gone */ }
    this.#releasedAtEof();
  }

  /** The underlying transport (for upgrades such as STARTTLS). */
  get conn(): StreamTransport {
    return this.#conn;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The display state: open, write-shut, peer-closed or closed. */
  get state(): SocketState {
    if (this.#closed) return "closed";
    if (this.#writeShut && this.#peerClosed) return "closed";
    if (this.#peerClosed) return "peer-closed";
    if (this.#writeShut) return "write-shut";
    return "open";
  }

  get local(): string {
    return this.#local;
  }

  get remote(): string {
    return this.#remote;
  }

  info(): SocketInfo {
    return {
      name: this.name,
      kind: this.kind,
      role: this.role,
      state: this.state,
      local: this.#local,
      remote: this.#remote,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      buffered: this.buffer.size,
      note: this.#writer.parked
        ? [this.note, `${this.#writer.parked} bytes of an ended send wait for the peer`]
          .filter(Boolean).join("; ")
        : this.note,
    };
  }

  async #pump(): Promise<void> {
    let scratch = new Uint8Array(MIN_READ);
    try {
      while (true) {
        if (this.buffer.full) await this.buffer.waitForSpace();
        if (this.#closed) return;
        if (this.#handover) {
          if (!await this.#handOver({ bytes: new Uint8Array(0) })) return;
          continue;
        }
        let n: number | null;
        try {
          n = await this.#conn.read(scratch);
        } catch (error) {
          if (!this.#handover) throw error;
          if (!await this.#handOver({ error })) return;
          continue;
        }
        if (this.#handover) {
          // An upgrade started while this read was in flight: its bytes belong to the new layer.
          if (!await this.#handOver(n === null ? { eof: true } : { bytes: scratch.slice(0, n) })) {
            return;
          }
          continue;
        }
        if (n === null) break;
        if (this.delivery) {
          await deliver(
            scratch.subarray(0, n),
            this.delivery,
            (piece) => this.#received(piece),
            () => this.#closed,
          );
        } else {
          const behind = this.#received(scratch.subarray(0, n));
          if (behind) await behind;
        }
        if (n === scratch.length && scratch.length < MAX_READ) {
          scratch = new Uint8Array(scratch.length * 4);
        }
      }
      this.#peerClosed = true;
      this.buffer.end();
      if (!this.#closed) {
        this.emit({ type: "peer-closed", name: this.name, buffered: this.buffer.size });
        this.#releaseAtEof();
      }
    } catch (error) {
      if (this.#closed) return;
      const message = error instanceof Error ? error.message : String(error);
      this.#peerClosed = true;
      this.buffer.fail(error instanceof Error ? error : new Error(message));
      this.emit({ type: "error", name: this.name, message, code: systemErrorCode(error) });
      this.#releaseAtEof();
    }
  }

  /** Takes received bytes; a promise when the tap asks the pump to wait for it. */
  #received(bytes: Uint8Array): Promise<void> | void {
    const behind = this.tap?.data(this, "in", bytes);
    this.buffer.push(bytes);
    this.bytesIn += bytes.length;
    this.emit({ type: "data", name: this.name, bytes: bytes.length, buffered: this.buffer.size });
    return behind;
  }

  /** Gives the in-flight read's result to the upgrade; true when reading should go on. */
  #handOver(h: Handover): Promise<boolean> {
    const give = this.#handover!;
    this.#handover = undefined;
    give(h);
    return this.#swapped;
  }

  /**
   * Upgrades the connection in place (STARTTLS), keeping the name, counters and every byte
   * already buffered. The read pump always has a read in flight, so instead of taking the plain
   * connection away from it, the upgrade asks the pump to hand over what that read returns; from
   * then on the peer's bytes go to `wrap`'s layer, and the pump reads what that layer decrypts.
   *
   * Unread buffered bytes that start with a TLS handshake record (a ClientHello that arrived
   * before the upgrade was asked for) are given to the new layer too; anything else stays
   * readable. `beforeSwitch` runs once the hand-over is armed (e.g. to send the last plain-text
   * line, race-free). If `wrap` fails the socket is closed: the plain stream is no longer usable.
   */
  async upgrade(
    wrap: (plain: PlainSide) => Promise<StreamTransport>,
    beforeSwitch?: () => Promise<unknown>,
  ): Promise<void> {
    this.#checkWritable("upgrade");
    if (this.#peerClosed) {
      throw new SockitError(`Cannot upgrade "${this.name}": the peer has closed the connection`, {
        code: "eof",
      });
    }
    if (this.#upgrading) {
      throw new SockitError(`Cannot upgrade "${this.name}": already upgrading`, { code: "usage" });
    }
    this.#upgrading = true;
    await this.#writer.idle();
    const plain = this.#conn;
    let settle!: (ok: boolean) => void;
    this.#swapped = new Promise((resolve) => settle = resolve);
    const first = new Promise<Handover>((resolve) => this.#handover = resolve);
    const pending = this.buffer.peek();
    const early = pending.length >= 3 && pending[0] === 0x16 && pending[1] === 0x03
      ? this.buffer.drain()
      : undefined;
    async function* incoming(): AsyncGenerator<Uint8Array> {
      if (early) yield early;
      const h = await first;
      if ("error" in h) throw h.error;
      if ("eof" in h) return;
      if (h.bytes.length) yield h.bytes;
      const buf = new Uint8Array(64 * 1024);
      while (true) {
        const n = await plain.read(buf);
        if (n === null) return;
        yield buf.slice(0, n);
      }
    }
    let upgraded: StreamTransport;
    try {
      if (beforeSwitch) await this.#writer.serial(beforeSwitch);
      upgraded = await wrap({ conn: plain, incoming: incoming() });
    } catch (error) {
      this.#upgrading = false;
      settle(false);
      const give = this.#handover;
      this.#handover = undefined;
      give?.({ eof: true });
      await this.close();
      throw error;
    }
    this.#conn = upgraded;
    this.#upgrading = false;
    settle(true);
  }

  #checkWritable(action: string): void {
    if (this.#closed) {
      throw new SockitError(`Cannot ${action} "${this.name}": socket is closed`, {
        code: "closed",
      });
    }
    if (this.#released) {
      throw new SockitError(
        `Cannot ${action} "${this.name}": the peer closed and its descriptor was released`,
        {
          code: "closed",
          hint: `accept ${this.name.replace(/\.\d+$/, "")} claims a child to keep it`,
        },
      );
    }
    if (this.#writeShut) {
      throw new SockitError(`Cannot ${action} "${this.name}": our side is shut down for writing`, {
        code: "closed",
      });
    }
  }

  /** Sends queued or under way on this socket. */
  get sending(): number {
    return this.#writer.pending;
  }

  /**
   * Writes every byte of `data`, after any send already under way. The send can be ended by
   * `options` (signal, timeout) or by `close`; its error counts the bytes that went out (see
   * {@link StreamWriter}).
   */
  write(data: Uint8Array, options?: WriteOptions): Promise<number> {
    this.#checkWritable("send to");
    return this.#writer.write([data], options);
  }

  /**
   * Streams chunks from `source` in order, holding the write side for the whole transfer so
   * that nothing interleaves. `source` may reuse one buffer between chunks. Ends as
   * {@link write} does.
   */
  writeFrom(source: AsyncIterable<Uint8Array>, options?: WriteOptions): Promise<number> {
    this.#checkWritable("send to");
    return this.#writer.write(source, options);
  }

  /** Half-closes our side: the peer sees end of stream, and can still send to us. */
  async shutdown(): Promise<void> {
    this.#checkWritable("shut down");
    await this.#writer.serial(() => Promise.resolve());
    const parked = this.#writer.parked;
    if (parked) {
      throw new SockitError(
        `Cannot shut down "${this.name}": ${parked} bytes of an ended send still wait for the peer`,
        { code: "failed", hint: `recv still works; close ${this.name} drops them` },
      );
    }
    this.#writeShut = true;
    try {
      await this.#conn.closeWrite();
      this.tap?.shutdown(this);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new SockitError(`Cannot shut down "${this.name}": ${message}`, {
        code: systemErrorCode(error),
        cause: error,
      });
    }
  }

  /** Reads as the receive buffer does, naming this socket in errors. */
  recv(max: number, opts?: ReadOptions): Promise<ReadResult> {
    return this.buffer.recv(max, opts);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.close();
    try {
      if (!this.#released) this.#conn.close();
    } catch {
      // already closed by the peer or the runtime
    }
    this.buffer.end();
    await this.#pumpDone;
    this.emit({ type: "closed", name: this.name });
  }
}
