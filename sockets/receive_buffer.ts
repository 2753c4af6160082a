/**
 * The receive buffer shared by every transport: bytes arrive through {@link ReceiveBuffer.push}
 * (or {@link ReceiveBuffer.reserve} + {@link ReceiveBuffer.commit}), and reads such as
 * {@link ReceiveBuffer.recvUntil} consume them with one overall deadline per call.
 *
 * @module
 */

import { indexOfBytes, latin1 } from "../grammar/bytes.ts";
import { type ReadStatus, SockitError } from "../grammar/errors.ts";
import { PendingReads } from "./pending_reads.ts";
import type { ExpectedReadResult } from "./receiver.ts";

/** Options accepted by every read of a {@link ReceiveBuffer}. */
export interface ReadOptions {
  /**
   * Overall deadline of the call in milliseconds, counted from the call (also while the call waits
   * behind earlier reads). `undefined` waits forever; `0` gives the data one timer tick to arrive.
   */
  timeout?: number;
  /** Aborting this signal ends the read with status `"cancelled"`; nothing is consumed. */
  signal?: AbortSignal;
}

/** The outcome of one read of a {@link ReceiveBuffer}. Only status `"ok"` consumes bytes. */
export interface ReadResult {
  /** How the read ended. */
  status: ReadStatus;
  /**
   * ok: the consumed bytes. timeout/cancelled/eof/error: a COPY of the bytes still buffered (NOT
   * consumed; they stay in the buffer, nothing is lost).
   */
  data: Uint8Array;
  /** For recvMatch with status ok: the RegExpExecArray (run on the latin1 "binary string" of the bytes). */
  match?: RegExpExecArray;
  /** For status error: the transport error given to {@link ReceiveBuffer.fail}. */
  error?: Error;
}

/** Options of the {@link ReceiveBuffer} constructor. */
export interface ReceiveBufferOptions {
  /** High-water mark in bytes: {@link ReceiveBuffer.full} is true at or above it. Default 4 MiB. */
  cap?: number;
  /** Initial storage size in bytes; storage grows as needed. Default 16 KiB. */
  initialSize?: number;
}

const DEFAULT_CAP = 4 * 1024 * 1024;
const DEFAULT_INITIAL_SIZE = 16 * 1024;

/**
 * An in-order byte buffer between a transport's read pump and the reads of a script, modelled on
 * pwntools' tubes.
 *
 * - Storage is one growable `Uint8Array` with start/end offsets; bytes are copied in once.
 * - Reads are serialized: a read issued while another is pending waits its turn (FIFO). Each call
 *   has one overall deadline counted from the call.
 * - Only status `"ok"` consumes. On timeout, cancellation, end of stream or error the result
 *   carries a copy of the buffered bytes and they stay buffered.
 * - End of stream is its own status `"eof"`; after {@link ReceiveBuffer.fail}, reads that the
 *   buffered bytes cannot satisfy resolve `"error"`.
 * - Flow control: {@link ReceiveBuffer.full} is true at or above the cap; a read pump awaits
 *   {@link ReceiveBuffer.waitForSpace} before reading more. Pushing beyond the cap never drops bytes.
 * - Delimiter searches remember how far they scanned, and regex searches reuse an incrementally
 *   built latin1 string, so new chunks do not cause the buffer to be re-scanned or re-decoded.
 * - After {@link ReceiveBuffer.end} or {@link ReceiveBuffer.fail}, late pushes/commits are ignored.
 *
 * @example Reading lines and exact counts from a stream
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   type ReadOptions,
 *   type ReadResult,
 *   ReceiveBuffer,
 *   type ReceiveBufferOptions,
 * } from "./receive_buffer.ts";
 *
 * const options: ReceiveBufferOptions = { cap: 1024 };
 * const buf = new ReceiveBuffer(options);
 * const deadline: ReadOptions = { timeout: 1000 };
 * const line = buf.recvLine(deadline);
 * buf.push(new TextEncoder().encode("hello "));
 * buf.push(new TextEncoder().encode("world\nAB"));
 * const r: ReadResult = await line;
 * assert(r.status === "ok");
 * assert(new TextDecoder().decode(r.data) === "hello world\n");
 *
 * buf.end();
 * const rest = await buf.recvExact(5);
 * assert(rest.status === "eof"); // only "AB" left, and it stays buffered
 * assert(buf.size === 2);
 * ```
 */
export class ReceiveBuffer {
  #buf: Uint8Array;
  #start = 0;
  #end = 0;
  /** Total bytes consumed so far: the absolute stream position of #start. */
  #consumed = 0;
  readonly #cap: number;
  #ended = false;
  #failed: Error | undefined;
  /** The storage and offset handed out by the last reserve(), until commit(). */
  #reservation: { buf: Uint8Array; at: number } | undefined;
  /** Reads waiting their turn, in call order; abandoned ones report the buffered bytes. */
  readonly #reads = new PendingReads<ReadResult>((status) => ({ status, data: this.peek() }));
  #spaceWaiters: (() => void)[] = [];
  /** Latin1 cache of buffered bytes starting at absolute position #binStart. */
  #bin = "";
  #binStart = 0;

  /** Creates an empty buffer. */
  constructor(options: ReceiveBufferOptions = {}) {
    const cap = options.cap ?? DEFAULT_CAP;
    const initialSize = options.initialSize ?? DEFAULT_INITIAL_SIZE;
    if (!(cap > 0)) {
      throw new SockitError(`Invalid receive buffer cap ${cap}: must be > 0`, { code: "usage" });
    }
    if (!(initialSize >= 1) || !Number.isFinite(initialSize)) {
      throw new SockitError(
        `Invalid receive buffer initialSize ${initialSize}: must be a positive number`,
        { code: "usage" },
      );
    }
    this.#cap = cap;
    this.#buf = new Uint8Array(Math.ceil(initialSize));
  }

  /** Bytes buffered now. */
  get size(): number {
    return this.#end - this.#start;
  }

  /** Whether {@link ReceiveBuffer.end} was called (the peer closed). */
  get ended(): boolean {
    return this.#ended;
  }

  /** The error given to {@link ReceiveBuffer.fail}, if any. */
  get failed(): Error | undefined {
    return this.#failed;
  }

  /** Whether the buffered bytes reach the cap: a read pump should stop reading. */
  get full(): boolean {
    return this.size >= this.#cap;
  }

  /** Copies `chunk` in and wakes waiting reads. Ignored after end()/fail(). */
  push(chunk: Uint8Array): void {
    if (this.#ended || this.#failed) return;
    if (this.#reservation) {
      throw new SockitError(
        "Cannot push into the receive buffer while a reserve() is uncommitted",
        { code: "failed" },
      );
    }
    if (chunk.length === 0) return;
    this.#ensureFree(chunk.length);
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
    this.#reads.serve();
  }

  /**
   * Zero-copy path: returns a writable view of the free space at the end of storage, at least
   * `min` bytes long (storage is compacted or grown as needed). Write into it, then call
   * {@link ReceiveBuffer.commit}; do not push in between.
   */
  reserve(min: number): Uint8Array {
    if (!(min >= 0) || !Number.isFinite(min)) {
      throw new SockitError(`Cannot reserve ${min} bytes in the receive buffer`, {
        code: "too-large",
      });
    }
    this.#ensureFree(Math.max(1, Math.ceil(min)));
    this.#reservation = { buf: this.#buf, at: this.#end };
    return this.#buf.subarray(this.#end);
  }

  /** Marks `n` bytes written into the last {@link ReceiveBuffer.reserve} view; wakes waiting reads. */
  commit(n: number): void {
    const r = this.#reservation;
    if (!r) {
      if (this.#ended || this.#failed) return;
      throw new SockitError(`Cannot commit ${n} bytes: nothing was reserved`, { code: "failed" });
    }
    if (!Number.isInteger(n) || n < 0 || n > r.buf.length - r.at) {
      throw new SockitError(`Cannot commit ${n} bytes: ${r.buf.length - r.at} were reserved`, {
        code: "failed",
      });
    }
    this.#reservation = undefined;
    if (r.buf !== this.#buf || r.at !== this.#end) {
      throw new SockitError(`Cannot commit ${n} bytes: the buffer changed since reserve()`, {
        code: "failed",
      });
    }
    this.#end += n;
    if (n > 0) this.#reads.serve();
  }

  /** End of stream: waiting reads whose condition cannot be met anymore resolve with "eof". */
  end(): void {
    if (this.#ended || this.#failed) return;
    this.#ended = true;
    this.#reservation = undefined;
    this.#reads.serve();
    this.#wakeSpace();
  }

  /**
   * Transport error: pending and later reads that the buffered bytes cannot satisfy resolve
   * "error" (buffered bytes stay readable first). Ignored after end() or an earlier fail().
   */
  fail(error: Error): void {
    if (this.#ended || this.#failed) return;
    this.#failed = error;
    this.#reservation = undefined;
    this.#reads.serve();
    this.#wakeSpace();
  }

  /** A copy of the buffered bytes; nothing is consumed. */
  peek(): Uint8Array {
    return this.#buf.slice(this.#start, this.#end);
  }

  /** Takes everything buffered now, without waiting (possibly empty). */
  drain(): Uint8Array {
    return this.#consume(this.size);
  }

  /**
   * Resolves once the buffered size is below the cap, or the stream ended or failed. A read pump
   * awaits this before its next read (flow control).
   */
  waitForSpace(): Promise<void> {
    if (!this.full || this.#ended || this.#failed) return Promise.resolve();
    return new Promise((resolve) => this.#spaceWaiters.push(resolve));
  }

  /**
   * Resolves "ok" as soon as at least one byte is buffered, with up to `max` bytes. On an empty
   * ended buffer: "eof" with empty data. Throws a SockitError if `max` is not a positive integer.
   */
  recv(max: number, opts?: ReadOptions): Promise<ReadResult> {
    if (!(max >= 1) || (!Number.isInteger(max) && max !== Infinity)) {
      throw new SockitError(`Cannot recv ${max} bytes: the count must be a positive integer`, {
        code: "usage",
      });
    }
    return this.#read(() => {
      if (this.size > 0) return { status: "ok", data: this.#consume(Math.min(max, this.size)) };
      return this.#stuck();
    }, opts);
  }

  /**
   * Resolves "ok" with exactly `n` bytes. If the stream ends first: "eof" with the remaining bytes
   * (not consumed). Throws a SockitError if `n` is negative or not an integer.
   */
  recvExact(n: number, opts?: ReadOptions): Promise<ReadResult> {
    if (!Number.isInteger(n) || n < 0) {
      throw new SockitError(`Cannot recvExact ${n} bytes: the count must be an integer >= 0`, {
        code: "usage",
      });
    }
    return this.#read(() => {
      if (this.size >= n) return { status: "ok", data: this.#consume(n) };
      return this.#stuck();
    }, opts);
  }

  /**
   * Resolves "ok" with the bytes up to and including the first delimiter (without it if `drop`).
   * With several delimiters, the one that completes earliest in the stream wins (on a tie, the
   * longest), so the result does not depend on how the bytes were split into chunks. Each new
   * chunk is only scanned from where the previous scan stopped (minus delimiter length - 1).
   */
  recvUntil(
    delims: Uint8Array | Uint8Array[],
    opts?: ReadOptions & { drop?: boolean },
  ): Promise<ReadResult> {
    const list = delims instanceof Uint8Array ? [delims] : [...delims];
    if (list.length === 0) {
      throw new SockitError("Cannot recvUntil: no delimiter given", { code: "usage" });
    }
    if (list.some((d) => d.length === 0)) {
      throw new SockitError("Cannot recvUntil an empty delimiter", { code: "usage" });
    }
    const drop = opts?.drop ?? false;
    /** Absolute stream position up to which the buffer was already searched. */
    let scanned = 0;
    return this.#read(() => {
      let bestEnd = -1;
      let bestLen = 0;
      for (const d of list) {
        const from = Math.max(this.#consumed, scanned - d.length + 1) - this.#consumed;
        const i = indexOfBytes(this.#buf, d, this.#start + from, this.#end);
        if (i === -1) continue;
        const end = i - this.#start + d.length;
        if (bestEnd === -1 || end < bestEnd || (end === bestEnd && d.length > bestLen)) {
          bestEnd = end;
          bestLen = d.length;
        }
      }
      if (bestEnd !== -1) {
        const data = this.#consume(bestEnd);
        return { status: "ok", data: drop ? data.subarray(0, data.length - bestLen) : data };
      }
      scanned = this.#consumed + this.size;
      return this.#stuck();
    }, opts);
  }

  /** {@link ReceiveBuffer.recvUntil} `"\n"`: one line, with its newline unless `drop`. */
  recvLine(opts?: ReadOptions & { drop?: boolean }): Promise<ReadResult> {
    return this.recvUntil(new Uint8Array([0x0a]), opts);
  }

  /**
   * Resolves "ok" once `re` matches the buffered bytes, consuming through the end of the first
   * match; `match` holds the RegExpExecArray.
   *
   * Regexes match bytes as latin1 characters: one char per byte, so `\xff` matches byte 0xff and
   * `.` matches any byte but `\n`. The `g` flag is ignored; with `y` the match must start at the
   * first buffered byte. The match is tried against what is buffered so far, so patterns whose
   * first match can change as more bytes arrive (`$`, lookahead, greedy or variable-length
   * repetition at the end, alternatives of different lengths) may match earlier than on the
   * complete stream; fixed-length patterns are not affected.
   */
  recvMatch(re: RegExp, opts?: ReadOptions): Promise<ReadResult> {
    const rx = new RegExp(re.source, re.flags.replace("g", ""));
    return this.#read(() => {
      rx.lastIndex = 0;
      const m = rx.exec(this.#binary());
      if (m) {
        return { status: "ok", data: this.#consume(m.index + m[0].length), match: m };
      }
      return this.#stuck();
    }, opts);
  }

  /**
   * Resolves "ok" with exactly `expected` once those bytes are buffered, comparing them as they
   * arrive; resolves "mismatch" at the first byte that differs (`at` is its index, nothing is
   * consumed, `data` is a copy of what is buffered). Each new chunk is compared only from where
   * the previous comparison stopped. End of stream before all arrived: "eof" (nothing consumed).
   *
   * @example Comparing as the bytes arrive
   * ```ts
   * import assert from "node:assert/strict";
   * import { ReceiveBuffer } from "./receive_buffer.ts";
   * const enc = new TextEncoder();
   * const buf = new ReceiveBuffer();
   * const pending = buf.recvExpected(enc.encode("PING\r\n"), { timeout: 1000 });
   * buf.push(enc.encode("PI"));
   * buf.push(enc.encode("XG"));
   * const r = await pending;
   * assert.equal(r.status, "mismatch");
   * assert.equal(r.at, 2);
   * assert.equal(buf.size, 4); // the differing bytes stay buffered
   * ```
   */
  recvExpected(expected: Uint8Array, opts?: ReadOptions): Promise<ExpectedReadResult> {
    /** Absolute stream position where the comparison started, and how many bytes matched. */
    let base = this.#consumed;
    let checked = 0;
    const attempt = (): ExpectedReadResult | undefined => {
      if (this.#consumed !== base) [base, checked] = [this.#consumed, 0]; // drained meanwhile
      const n = Math.min(this.size, expected.length);
      for (; checked < n; checked++) {
        if (this.#buf[this.#start + checked] !== expected[checked]) {
          return { status: "mismatch", data: this.peek(), at: checked };
        }
      }
      if (this.size >= expected.length) {
        return { status: "ok", data: this.#consume(expected.length) };
      }
      return this.#stuck();
    };
    // A mismatch is one more way not to consume, which the pending reads need not tell apart.
    return this.#read(attempt as () => ReadResult | undefined, opts) as Promise<
      ExpectedReadResult
    >;
  }

  // ---------------------------------------------------------------------------------------------

  /** The result of a read the buffered bytes cannot satisfy: eof/error now, or undefined (wait). */
  #stuck(): ReadResult | undefined {
    if (this.#failed) return { status: "error", data: this.peek(), error: this.#failed };
    if (this.#ended) return { status: "eof", data: this.peek() };
    return undefined;
  }

  #read(attempt: () => ReadResult | undefined, opts: ReadOptions = {}): Promise<ReadResult> {
    const { timeout } = opts;
    if (timeout !== undefined && Number.isNaN(timeout)) {
      throw new SockitError(`Invalid read timeout ${timeout}`, { code: "usage" });
    }
    return this.#reads.read(attempt, opts);
  }

  #wakeSpace(): void {
    const waiters = this.#spaceWaiters;
    this.#spaceWaiters = [];
    for (const w of waiters) w();
  }

  /** Removes and returns (a copy of) the first `n` buffered bytes. */
  #consume(n: number): Uint8Array {
    const data = this.#buf.slice(this.#start, this.#start + n);
    this.#start += n;
    this.#consumed += n;
    if (this.#start === this.#end) {
      this.#bin = "";
      this.#binStart = this.#consumed;
      if (!this.#reservation) this.#start = this.#end = 0;
    }
    if (n > 0 && this.#spaceWaiters.length > 0 && !this.full) this.#wakeSpace();
    return data;
  }

  /** Makes room for `n` more bytes after #end: compacts when that frees plenty, else grows. */
  #ensureFree(n: number): void {
    const buf = this.#buf;
    if (buf.length - this.#end >= n) return;
    const size = this.size;
    if (size + n <= buf.length >> 1 || (size + n <= buf.length && size <= buf.length >> 3)) {
      buf.copyWithin(0, this.#start, this.#end);
    } else {
      const grown = new Uint8Array(Math.max(buf.length * 2, size + n));
      grown.set(buf.subarray(this.#start, this.#end));
      this.#buf = grown;
    }
    this.#start = 0;
    this.#end = size;
  }

  /** The buffered bytes as a latin1 string, reusing the cached prefix and decoding only new bytes. */
  #binary(): string {
    const skip = this.#consumed - this.#binStart;
    if (skip !== 0) {
      this.#bin = skip > 0 && skip <= this.#bin.length ? this.#bin.slice(skip) : "";
      this.#binStart = this.#consumed;
    }
    const have = this.#bin.length;
    if (have < this.size) {
      this.#bin += latin1(this.#buf.subarray(this.#start + have, this.#end));
    }
    return this.#bin;
  }
}
