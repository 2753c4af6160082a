/**
 * A named WebSocket (RFC 6455) on one of our stream transports (TCP, or TLS for wss): messages
 * keep their boundaries as datagrams do, so its `buffer` is a view of a {@link DatagramQueue}
 * whose entries are whole messages tagged `text` or `binary`; every reading command works on it
 * as on a UDP socket. The read pump parses frames ({@link FrameReader}), reassembles fragmented
 * messages, answers pings, and plays the close handshake; sends go through one
 * {@link StreamWriter} so frames never interleave and every send can be ended.
 *
 * @module
 */

import { SockitError } from "../grammar/errors.ts";
import { plural } from "../grammar/plural.ts";
import { formatDuration, startTimer } from "../grammar/duration.ts";
import { DatagramQueue, type DatagramReadResult, type DatagramView } from "./datagram_queue.ts";
import { type Delivery, pause } from "./delivery.ts";
import { type EventSink, NamedSocket, type SocketInfo, type SocketState } from "./named_socket.ts";
import type { ReadOptions } from "./receive_buffer.ts";
import type { ExpectedReadResult, Receiver } from "./receiver.ts";
import type { StreamTransport } from "./stream_socket.ts";
import { StreamWriter, type WriteOptions } from "./stream_writer.ts";
import {
  CLOSE,
  closePayload,
  encodeFrame,
  type Frame,
  FrameReader,
  MAX_CONTROL,
  MAX_MESSAGE,
  OP,
  parseClose,
  utf8,
  validCloseCode,
  WsProtocolError,
} from "./ws_frames.ts";

/** A message's kind: what `recv` shows beside its bytes. */
export type MessageKind = "text" | "binary";

/** What the opening handshake settled: the subprotocol, the path, the first frames' bytes. */
export interface WsStart {
  /** Bytes that arrived after the HTTP head. */
  rest: Uint8Array;
  /** The subprotocol agreed on, if any. */
  protocol?: string;
  /** The request path. */
  path?: string;
}

/** A close frame sent or received. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** Settings of {@link WsSocket.close}; all optional. */
export interface WsCloseOptions {
  /** The close code to send (default 1000). */
  code?: number;
  /** The reason to send (at most 123 bytes of UTF-8). */
  reason?: string;
  /** How long to wait for the peer's close frame, in ms (default 2 s). */
  timeout?: number;
}

/** Above this many queued bytes the pump stops reading (TCP flow control holds the peer). */
const HIGH_WATER = 4 * 1024 * 1024;
const DEFAULT_CLOSE_WAIT = 2000;

/** How a close shows: `1000`, `1008 "policy violation"`. */
export function describeClose(c: CloseInfo): string {
  return c.reason ? `${c.code} ${JSON.stringify(c.reason)}` : String(c.code);
}

/**
 * The reading calls on a WebSocket's messages (a {@link DatagramView}'s, each result tagged with
 * the message's kind); every read wakes the pump afterwards, as it may have made room.
 */
export class MessageView implements Receiver {
  readonly #view: DatagramView;
  readonly #read: () => void;

  /** Reads `view`, calling `read` after each call settles. */
  constructor(view: DatagramView, read: () => void) {
    this.#view = view;
    this.#read = read;
  }

  /** Bytes of the messages queued. */
  get size(): number {
    return this.#view.size;
  }

  #after<T>(p: Promise<T>): Promise<T> {
    return p.finally(this.#read);
  }

  recv(max: number, opts?: ReadOptions): Promise<DatagramReadResult> {
    return this.#after(this.#view.recv(max, opts));
  }

  recvExact(n: number, opts?: ReadOptions): Promise<DatagramReadResult> {
    return this.#after(this.#view.recvExact(n, opts));
  }

  recvUntil(
    delims: Uint8Array | Uint8Array[],
    opts?: ReadOptions & { drop?: boolean },
  ): Promise<DatagramReadResult> {
    return this.#after(this.#view.recvUntil(delims, opts));
  }

  recvLine(opts?: ReadOptions & { drop?: boolean }): Promise<DatagramReadResult> {
    return this.#after(this.#view.recvLine(opts));
  }

  recvMatch(re: RegExp | RegExp[], opts?: ReadOptions): Promise<DatagramReadResult> {
    return this.#after(this.#view.recvMatch(re, opts));
  }

  recvExpected(expected: Uint8Array, opts?: ReadOptions): Promise<ExpectedReadResult> {
    return this.#after(this.#view.recvExpected(expected, opts));
  }

  /** Discards every queued message (`clean`); the pump may read again. */
  discard(): { bytes: number; datagrams: number } {
    const gone = this.#view.discard();
    this.#read();
    return gone;
  }
}

/**
 * One WebSocket connection, client or accepted. An accepted one shakes hands in the background
 * (`start` settles when it has); its sends wait for the handshake.
 *
 * @example Two WebSocket sockets over a socket pair of loopback TCP
 * ```ts
 * import assert from "node:assert/strict";
 * import { WsSocket } from "./ws_socket.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const [client, server] = await Promise.all([
 *   Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port }),
 *   listener.accept(),
 * ]);
 * const start = Promise.resolve({ rest: new Uint8Array(0) });
 * const a = new WsSocket("a", "ws", client, () => {}, { role: "client", start });
 * const b = new WsSocket("b", "ws", server, () => {}, { role: "accepted", start });
 * await a.write(new TextEncoder().encode("hello"));
 * const got = await b.buffer.recv(100, { timeout: 1000 });
 * assert.equal(new TextDecoder().decode(got.data), "hello");
 * assert.equal(got.tag, "text");
 * await a.close({ code: 1000 });
 * assert.equal(b.peerClose?.code, 1000);
 * await b.close();
 * listener.close();
 * ```
 */
export class WsSocket extends NamedSocket {
  /** The messages, read as datagrams: one read never spans two messages. */
  readonly buffer: MessageView;
  /** `client` when we dialled, `accepted` for a listener's child. */
  readonly role: "client" | "accepted";
  /** The subprotocol agreed on, once the handshake is done. */
  protocol?: string;
  /** The request path (an accepted socket: what the client asked for). */
  path?: string;
  /** The close frame we sent, if any. */
  sentClose?: CloseInfo;
  /** The close frame the peer sent, if any (1006: the connection ended without one). */
  peerClose?: CloseInfo;
  readonly #conn: StreamTransport;
  readonly #queue = new DatagramQueue({
    cap: 2 * MAX_MESSAGE + HIGH_WATER,
    maxDatagrams: 1 << 20,
    unit: "message",
  });
  readonly #reader: FrameReader;
  readonly #writer: StreamWriter;
  readonly #local: string;
  readonly #remote: string;
  readonly #ready: Promise<void>;
  readonly #pumpDone: Promise<void>;
  #handshaking = true;
  #failure?: string;
  #peerEnded = false;
  #closed = false;
  #wireOut = 0;
  #space?: () => void;
  #closeArrived?: () => void;
  readonly #pings: { payload: string; done: () => void }[] = [];
  /** Fragments of the message being received, and its kind. */
  #fragments: Uint8Array[] = [];
  #fragmentKind?: MessageKind;
  #fragmentSize = 0;

  /** Speaks WebSocket on `conn` once `start` (the handshake) settles. */
  constructor(
    name: string,
    kind: string,
    conn: StreamTransport,
    emit: EventSink,
    options: { role: "client" | "accepted"; start: Promise<WsStart>; note?: string },
  ) {
    super(name, kind, emit);
    this.role = options.role;
    this.note = options.note;
    this.#conn = conn;
    this.#local = NamedSocket.addr(conn.localAddr);
    this.#remote = NamedSocket.addr(conn.remoteAddr);
    this.#reader = new FrameReader({ masked: options.role === "accepted" });
    this.#writer = new StreamWriter(name, {
      write: (p) => conn.write(p),
      counted: (n) => this.#wireOut += n,
    });
    this.buffer = new MessageView(this.#queue.all, () => this.#wake());
    this.#ready = options.start.then((s) => {
      this.protocol = s.protocol;
      this.path = s.path;
      this.#handshaking = false;
      return s;
    }).then(() => {}, (error) => {
      this.#handshaking = false;
      this.#failure = error instanceof Error ? error.message : String(error);
      throw error;
    });
    this.#ready.catch(() => {});
    this.#pumpDone = this.#pump(options.start);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** open, write-shut (our close sent), peer-closed (theirs received) or closed. */
  get state(): SocketState {
    if (this.#closed) return "closed";
    const ours = this.sentClose !== undefined;
    const theirs = this.peerClose !== undefined || this.#peerEnded;
    if (ours && theirs) return "closed";
    if (theirs) return "peer-closed";
    if (ours) return "write-shut";
    return "open";
  }

  /** Our address. */
  get local(): string {
    return this.#local;
  }

  /** The peer's address. */
  get remote(): string {
    return this.#remote;
  }

  info(): SocketInfo {
    const notes = [this.note];
    if (this.#handshaking) notes.push("ws handshaking");
    else if (this.#failure) notes.push(this.#failure);
    else {
      notes.push(
        [this.path, this.protocol && `subprotocol ${this.protocol}`].filter(Boolean).join(" ") ||
          undefined,
      );
    }
    if (this.sentClose) notes.push(`sent close ${describeClose(this.sentClose)}`);
    if (this.peerClose) notes.push(`peer closed ${describeClose(this.peerClose)}`);
    return {
      name: this.name,
      kind: this.kind,
      role: this.role,
      state: this.state,
      local: this.#local,
      remote: this.#remote,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      buffered: this.#queue.size,
      note: notes.filter(Boolean).join("; ") || undefined,
    };
  }

  /** The most bytes one message may hold (`send` refuses more before reading a file). */
  get maxMessage(): number {
    return MAX_MESSAGE;
  }

  #wake(): void {
    if (this.#queue.size > HIGH_WATER) return;
    const wake = this.#space;
    this.#space = undefined;
    wake?.();
  }

  async #pump(start: Promise<WsStart>): Promise<void> {
    const scratch = new Uint8Array(64 * 1024);
    try {
      const { rest } = await start;
      if (!await this.#frames(this.#reader.push(rest))) return;
      while (!this.#closed) {
        if (this.#queue.size > HIGH_WATER) {
          await new Promise<void>((resolve) => this.#space = resolve);
          continue;
        }
        const n = await this.#conn.read(scratch);
        if (n === null) break;
        if (!await this.#frames(this.#reader.push(scratch.subarray(0, n)))) return;
      }
      this.#ended();
    } catch (error) {
      if (this.#closed) return;
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof WsProtocolError) {
        // Tell the peer why, then drop the connection: its stream can no longer be trusted.
        const reason = message.slice(0, 123);
        this.sentClose = { code: error.closeCode, reason: "" };
        await this.#control(OP.close, closePayload(error.closeCode)).catch(() => {});
        this.#failure = `protocol error: ${reason}`;
        this.emit({
          type: "error",
          name: this.name,
          message: `the peer sent ${message}; closed with ${error.closeCode}`,
        });
        try {
          this.#conn.close();
        } catch { /* gone */ }
      } else {
        this.emit({ type: "error", name: this.name, message });
      }
      this.#peerEnded = true;
      this.#queue.end();
      this.#closeArrived?.();
    }
  }

  /** The connection ended: after the peer's close frame, or without one (1006). */
  #ended(): void {
    this.#peerEnded = true;
    this.#queue.end();
    this.#closeArrived?.();
    if (this.#closed) return;
    const reason = this.peerClose
      ? `close ${describeClose(this.peerClose)}`
      : "connection ended without a close frame (1006)";
    this.peerClose ??= { code: CLOSE.abnormal, reason: "" };
    this.emit({ type: "peer-closed", name: this.name, buffered: this.#queue.size, reason });
  }

  /** Handles frames in order; false once the connection is done (a close was answered). */
  async #frames(frames: Frame[]): Promise<boolean> {
    for (const frame of frames) {
      if (this.peerClose) return true; // nothing counts after a close frame
      switch (frame.opcode) {
        case OP.text:
        case OP.binary:
          if (this.#fragmentKind) {
            throw new WsProtocolError("a new message before the last one ended", 1002);
          }
          this.#fragmentKind = frame.opcode === OP.text ? "text" : "binary";
          this.#fragment(frame);
          if (frame.fin) await this.#message();
          break;
        case OP.continuation:
          if (!this.#fragmentKind) {
            throw new WsProtocolError("a continuation frame with no message under way", 1002);
          }
          this.#fragment(frame);
          if (frame.fin) await this.#message();
          break;
        case OP.ping:
          if (!this.sentClose) await this.#control(OP.pong, frame.payload).catch(() => {});
          break;
        case OP.pong: {
          const text = new TextDecoder("latin1").decode(frame.payload);
          const i = this.#pings.findIndex((p) => p.payload === text);
          if (i >= 0) this.#pings.splice(i, 1)[0].done();
          break;
        }
        case OP.close: {
          this.peerClose = parseClose(frame.payload);
          this.#closeArrived?.();
          if (!this.sentClose) {
            // Echo the code (RFC 6455 5.5.1); the server then closes the TCP connection.
            const code = this.peerClose.code === CLOSE.noStatus ? undefined : this.peerClose.code;
            this.sentClose = { code: code ?? CLOSE.noStatus, reason: "" };
            await this.#control(OP.close, closePayload(code)).catch(() => {});
          }
          if (this.role === "accepted") {
            try {
              this.#conn.close();
            } catch { /* gone */ }
            this.#ended();
            return false;
          }
          break;
        }
      }
    }
    return true;
  }

  #fragment(frame: Frame): void {
    this.#fragmentSize += frame.payload.length;
    if (this.#fragmentSize > MAX_MESSAGE) {
      throw new WsProtocolError(
        `a message over the limit of ${MAX_MESSAGE} bytes`,
        CLOSE.tooBig,
      );
    }
    this.#fragments.push(frame.payload);
  }

  async #message(): Promise<void> {
    const kind = this.#fragmentKind!;
    const parts = this.#fragments;
    let data: Uint8Array;
    if (parts.length === 1) data = parts[0];
    else {
      data = new Uint8Array(this.#fragmentSize);
      let off = 0;
      for (const p of parts) {
        data.set(p, off);
        off += p.length;
      }
    }
    this.#fragments = [];
    this.#fragmentKind = undefined;
    this.#fragmentSize = 0;
    if (kind === "text") utf8(data, "a text message");
    const delivery: Delivery | undefined = this.delivery;
    if (delivery) await pause(delivery);
    this.#queue.push(data, this.#remote, kind);
    this.bytesIn += data.length;
    // A log sees messages (their payloads and kinds), not frames: see docs/log_format.md.
    const behind = this.tap?.data(this, "in", data, undefined, kind);
    if (behind) await behind;
    this.emit({ type: "data", name: this.name, bytes: data.length, buffered: this.#queue.size });
  }

  #checkOpen(action: string): void {
    if (this.#closed) {
      throw new SockitError(`Cannot ${action} "${this.name}": socket is closed`, {
        code: "closed",
      });
    }
    if (this.sentClose) {
      throw new SockitError(
        `Cannot ${action} "${this.name}": the close handshake has started (sent close ${
          describeClose(this.sentClose)
        })`,
        { code: "closed" },
      );
    }
    if (this.#peerEnded || this.peerClose) {
      throw new SockitError(
        `Cannot ${action} "${this.name}": the peer has closed the connection${
          this.peerClose ? ` (${describeClose(this.peerClose)})` : ""
        }`,
        { code: "eof" },
      );
    }
  }

  async #ensureReady(action: string): Promise<void> {
    try {
      await this.#ready;
    } catch (error) {
      throw new SockitError(
        `Cannot ${action} "${this.name}": ${error instanceof Error ? error.message : error}`,
        { code: "closed" },
      );
    }
  }

  /** Writes one frame whole; a frame cut off mid-way breaks the stream, so the socket closes. */
  async #frame(opcode: number, payload: Uint8Array, options?: WriteOptions): Promise<void> {
    const wire = encodeFrame(opcode, payload, { mask: this.role === "client" });
    const before = this.#wireOut;
    try {
      await this.#writer.write([wire], options && { ...options, total: options.total });
    } catch (error) {
      const sent = this.#wireOut - before;
      if (sent > 0 && sent < wire.length) {
        this.#failure = "a message was cut off mid-frame: the connection was dropped";
        await this.#drop();
      }
      throw error;
    }
  }

  #control(opcode: number, payload: Uint8Array): Promise<void> {
    return this.#frame(opcode, payload);
  }

  /**
   * Sends `data` as one message: text (it must be UTF-8), or binary when `options.binary`.
   * Resolves with the payload's length; ends as a stream send does (signal, timeout, close).
   */
  async write(
    data: Uint8Array,
    options: WriteOptions & { binary?: boolean } = {},
  ): Promise<number> {
    this.#checkOpen("send to");
    await this.#ensureReady("send to");
    this.#checkOpen("send to");
    if (data.length > MAX_MESSAGE) {
      throw new SockitError(
        `Cannot send to "${this.name}": ${data.length} bytes is over the WebSocket message ` +
          `limit of ${MAX_MESSAGE} bytes`,
        { code: "too-large" },
      );
    }
    if (!options.binary) {
      try {
        utf8(data, "text");
      } catch {
        throw new SockitError(
          `Cannot send to "${this.name}": the payload (${
            plural(data.length, "byte")
          }) is not UTF-8 text, as a text message must be`,
          { code: "usage", hint: `send ${this.name} --binary … sends a binary message` },
        );
      }
    }
    await this.#frame(options.binary ? OP.binary : OP.text, data, options);
    this.bytesOut += data.length;
    const behind = this.tap?.data(this, "out", data, undefined, options.binary ? "binary" : "text");
    if (behind) await behind;
    return data.length;
  }

  /**
   * Sends a ping and waits for its pong; resolves with the round trip in ms. The payload (at
   * most 125 bytes) defaults to a counter, so each ping's pong is told apart.
   */
  async ping(
    payload: Uint8Array | undefined,
    options: { timeout?: number; signal?: AbortSignal } = {},
  ): Promise<number> {
    this.#checkOpen("ping");
    await this.#ensureReady("ping");
    const body = payload ?? new TextEncoder().encode(`sockit ${++pingCount}`);
    if (body.length > MAX_CONTROL) {
      throw new SockitError(
        `Cannot ping "${this.name}": a ${body.length}-byte payload is over the ${MAX_CONTROL}-byte limit of a control frame`,
        { code: "too-large" },
      );
    }
    const text = new TextDecoder("latin1").decode(body);
    const started = performance.now();
    let entry!: { payload: string; done: () => void };
    const answered = new Promise<void>((resolve) => entry = { payload: text, done: resolve });
    this.#pings.push(entry);
    const forget = () => {
      const i = this.#pings.indexOf(entry);
      if (i >= 0) this.#pings.splice(i, 1);
    };
    await this.#control(OP.ping, body);
    const outcome = await new Promise<"pong" | "timeout" | "cancelled" | "closed">((resolve) => {
      let stopTimer: (() => void) | undefined;
      const onAbort = () => resolve("cancelled");
      if (options.timeout !== undefined) {
        stopTimer = startTimer(options.timeout, () => resolve("timeout"));
      }
      options.signal?.addEventListener("abort", onAbort, { once: true });
      if (options.signal?.aborted) onAbort();
      this.#pumpDone.then(() => resolve("closed"));
      answered.then(() => resolve("pong"));
      const cleanup = () => {
        stopTimer?.();
        options.signal?.removeEventListener("abort", onAbort);
      };
      answered.finally(cleanup).catch(() => {});
      this.#pumpDone.finally(cleanup);
    });
    forget();
    if (outcome === "pong") return performance.now() - started;
    const why = outcome === "timeout"
      ? `no pong within ${formatDuration(options.timeout!)}`
      : outcome === "cancelled"
      ? "cancelled"
      : "the connection ended before the pong";
    throw new SockitError(`Cannot ping "${this.name}": ${why}`, {
      code: outcome === "closed" ? "eof" : outcome,
    });
  }

  /**
   * The close handshake: sends a close frame (code 1000 unless given, with a reason), waits up to
   * `timeout` for the peer's, then closes the connection. Unread messages are discarded.
   * Idempotent; on a connection that already ended it only lets go of it.
   */
  async close(options: WsCloseOptions = {}): Promise<void> {
    if (this.#closed) return;
    const code = options.code ?? CLOSE.normal;
    const reason = options.reason ?? "";
    if (code !== CLOSE.normal && !(validCloseCode(code) && code !== 1005 && code !== 1006)) {
      throw new SockitError(
        `Cannot close "${this.name}": --code ${code} is not a close code one may send`,
        { code: "usage", hint: "1000 normal, 1001 going away, 1008 policy, 3000-4999 your own" },
      );
    }
    const reasonBytes = new TextEncoder().encode(reason).length;
    if (reasonBytes > MAX_CONTROL - 2) {
      throw new SockitError(
        `Cannot close "${this.name}": the reason is ${reasonBytes} bytes, over the limit of ${
          MAX_CONTROL - 2
        }`,
        { code: "too-large" },
      );
    }
    let ready = true;
    await this.#ready.catch(() => ready = false);
    if (ready && !this.sentClose && !this.#peerEnded) {
      this.sentClose = { code, reason };
      const arrived = new Promise<void>((resolve) => this.#closeArrived = resolve);
      try {
        await this.#control(OP.close, closePayload(code, reason));
        if (!this.peerClose && !this.#peerEnded) {
          const stop = startTimer(
            options.timeout ?? DEFAULT_CLOSE_WAIT,
            () => this.#closeArrived?.(),
          );
          await arrived;
          stop();
        }
      } catch { /* the connection is going anyway */ }
    }
    await this.#drop();
  }

  async #drop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.close();
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    this.#queue.end();
    this.#space?.();
    await this.#pumpDone;
    const reason = [
      this.sentClose && `sent ${describeClose(this.sentClose)}`,
      this.peerClose && `peer ${describeClose(this.peerClose)}`,
    ].filter(Boolean).join(", ");
    this.emit({ type: "closed", name: this.name, ...(reason ? { reason } : {}) });
  }
}

let pingCount = 0;
