/**
 * The receive buffer shared by every transport: bytes arrive through {@link ReceiveBuffer.push}
 * (or {@link ReceiveBuffer.reserve} + {@link ReceiveBuffer.commit}), and reads such as
 * {@link ReceiveBuffer.recvUntil} consume them with one overall deadline per call.
 *
 * @module
 */

import { latin1 } from "../grammar/bytes.ts";
import { type ReadStatus, SockitError } from "../grammar/errors.ts";
import { PendingReads } from "./pending_reads.ts";
import type { ExpectedReadResult } from "./receiver.ts";
import {
  checkExactCount,
  checkRecvMax,
  delimiterList,
  earliestDelimiter,
  firstMatch,
  regexList,
} from "./_read_rules.ts";

/**
 * Options accepted by every read of a {@link ReceiveBuffer}.
 *
 * @example A read with a deadline keeps what it did not consume
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReceiveBuffer, type ReadOptions } from "./receive_buffer.ts";
 * const buffer = new ReceiveBuffer();
 * buffer.push(new TextEncoder().encode("no newline yet"));
 * const options: ReadOptions = { timeout: 10 };
 * const result = await buffer.recvLine(options);
 * assert.equal(result.status, "timeout");
 * assert.equal((await buffer.recv(100)).data.length, 14);
 * ```
 */
export interface ReadOptions {
  /**
   * Overall deadline of the call in milliseconds, counted from the call (also while the call waits
   * behind earlier reads). `undefined` waits forever; `0` gives the data one timer tick to arrive.
   */
  timeout?: number;
  /** Aborting this signal ends the read with status `"cancelled"`; nothing is consumed. */
  signal?: AbortSignal;
}

/**
 * The outcome of one read of a {@link ReceiveBuffer}. Only status `"ok"` consumes bytes.
 *
 * @example A read's status and bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReceiveBuffer, type ReadResult } from "./receive_buffer.ts";
 * const buffer = new ReceiveBuffer();
 * buffer.push(new TextEncoder().encode("id=42\n"));
 * const result: ReadResult = await buffer.recvMatch(/id=(\d+)/);
 * assert.equal(result.status, "ok");
 * assert.equal(result.match?.[1], "42");
 * ```
 */
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
  /** For recvMatch of several regexes with status ok: the index of the one that matched. */
  alternative?: number;
  /** For status error: the transport error given to {@link ReceiveBuffer.fail}. */
  error?: Error;
}

/**
 * Options of the {@link ReceiveBuffer} constructor.
 *
 * @example A buffer that reports full early
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReceiveBuffer, type ReceiveBufferOptions } from "./receive_buffer.ts";
 * const options: ReceiveBufferOptions = { cap: 4, initialSize: 2 };
 * const buffer = new ReceiveBuffer(options);
 * buffer.push(new Uint8Array(3));
 * assert.equal(buffer.full, false);
 * buffer.push(new Uint8Array(1));
 * assert.equal(buffer.full, true);
 * ```
 */
export interface ReceiveBufferOptions {
  /**
   * High-water mark in bytes: {@link ReceiveBuffer.full} is true at or above it. Default 4 MiB.
   * A waiting read that needs more raises it for itself, up to `limit`.
   */
  cap?: number;
  /**
   * Most bytes one read may need buffered at once ({@link READ_LIMIT}, 1 GiB, by default): a
   * larger `recvExact` throws, a delimiter or regex read that finds nothing within it fails.
   */
  limit?: number;
  /** Initial storage size in bytes; storage grows as needed. Default 16 KiB. */
  initialSize?: number;
}

const DEFAULT_CAP = 4 * 1024 * 1024;
const DEFAULT_INITIAL_SIZE = 16 * 1024;

/**
 * The most bytes one read may need buffered at once, by default: 1 GiB. Reads that need more
 * than the cap (4 MiB) raise it for themselves up to this.
 *
 * @example The limit is 1 GiB
 * ```ts
 * import assert from "node:assert/strict";
 * import { READ_LIMIT } from "./receive_buffer.ts";
 * assert.equal(READ_LIMIT, 2 ** 30);
 * ```
 */
export const READ_LIMIT = 2 ** 30;

/** `1 GiB`, `4 MiB`, `512 bytes`: a size for error messages. */
function formatSize(n: number): string {
  if (n >= 2 ** 30 && n % 2 ** 30 === 0) return `${n / 2 ** 30} GiB`;
  if (n >= 2 ** 20 && n % 2 ** 20 === 0) return `${n / 2 ** 20} MiB`;
  return `${n} bytes`;
}

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
 *   A waiting read that needs more than the cap (`recvExact` of 8 MiB, a line whose newline is
 *   5 MiB away) raises the cap for itself while it waits, up to the read limit (1 GiB): the pump
 *   is woken and reads on, and the cap is back once no read waits.
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
  readonly #limit: number;
  /** Bytes the waiting read needs buffered at once (0 when none waits): raises the cap. */
  #want = 0;
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
    this.#limit = options.limit ?? READ_LIMIT;
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

  /**
   * Whether the buffered bytes reach the cap, or what the waiting read needs when that is more:
   * a read pump should stop reading.
   */
  get full(): boolean {
    return this.size >= Math.max(this.#cap, this.#want);
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
    checkRecvMax(max);
    return this.#read(
      () => {
        if (this.size > 0) return { status: "ok", data: this.#consume(Math.min(max, this.size)) };
        return this.#stuck();
      },
      opts,
      () => 1,
    );
  }

  /**
   * Resolves "ok" with exactly `n` bytes. If the stream ends first: "eof" with the remaining bytes
   * (not consumed). Throws a SockitError if `n` is negative or not an integer, or (code
   * `too-large`) above the read limit. More than the cap is fine: the read raises it.
   */
  recvExact(n: number, opts?: ReadOptions): Promise<ReadResult> {
    checkExactCount(n);
    if (n > this.#limit) {
      throw new SockitError(
        `Cannot recvExact ${n} bytes: one read may buffer at most ${formatSize(this.#limit)}`,
        { code: "too-large" },
      );
    }
    return this.#read(
      () => {
        if (this.size >= n) return { status: "ok", data: this.#consume(n) };
        return this.#stuck();
      },
      opts,
      () => n,
    );
  }

  /**
   * Resolves "ok" with the bytes up to and including the first delimiter (without it if `drop`).
   * With several delimiters, the one that completes earliest in the stream wins (on a tie, the
   * longest), so the result does not depend on how the bytes were split into chunks. Each new
   * chunk is only scanned from where the previous scan stopped (minus delimiter length - 1).
   * No delimiter within the read limit: status `error` (code `too-large`), nothing consumed.
   */
  recvUntil(
    delims: Uint8Array | Uint8Array[],
    opts?: ReadOptions & { drop?: boolean },
  ): Promise<ReadResult> {
    const list = delimiterList(delims);
    const drop = opts?.drop ?? false;
    /** Absolute stream position up to which the buffer was already searched. */
    let scanned = 0;
    return this.#read(
      () => {
        const from = this.#start + Math.max(0, scanned - this.#consumed);
        const found = earliestDelimiter(this.#buf, list, from, this.#end, this.#start);
        if (found) {
          const data = this.#consume(found.end - this.#start);
          return { status: "ok", data: drop ? data.subarray(0, data.length - found.length) : data };
        }
        scanned = this.#consumed + this.size;
        return this.#beyondLimit("no delimiter") ?? this.#stuck();
      },
      opts,
      () => this.size + 1,
    );
  }

  /** {@link ReceiveBuffer.recvUntil} `"\n"`: one line, with its newline unless `drop`. */
  recvLine(opts?: ReadOptions & { drop?: boolean }): Promise<ReadResult> {
    return this.recvUntil(new Uint8Array([0x0a]), opts);
  }

  /**
   * Resolves "ok" once `re` matches the buffered bytes, consuming through the end of the first
   * match; `match` holds the RegExpExecArray. Given several regexes, the match that starts first
   * wins (on a tie, the first listed, as one regex `A|B` chooses) and `alternative` is its index.
   *
   * Regexes match bytes as latin1 characters: one char per byte, so `\xff` matches byte 0xff and
   * `.` matches any byte but `\n`. The `g` flag is ignored; with `y` the match must start at the
   * first buffered byte. The match is tried against what is buffered so far, so patterns whose
   * first match can change as more bytes arrive (`$`, lookahead, greedy or variable-length
   * repetition at the end, alternatives of different lengths) may match earlier than on the
   * complete stream; fixed-length patterns are not affected. No match within the read limit:
   * status `error` (code `too-large`), nothing consumed.
   */
  recvMatch(re: RegExp | RegExp[], opts?: ReadOptions): Promise<ReadResult> {
    const list = regexList(re);
    const several = !(re instanceof RegExp);
    return this.#read(
      () => {
        const found = firstMatch(list, this.#binary());
        if (found) {
          const { match, alternative } = found;
          const data = this.#consume(match.index + match[0].length);
          return { status: "ok", data, match, ...(several ? { alternative } : {}) };
        }
        return this.#beyondLimit(`no match for ${list.join(" or ")}`) ?? this.#stuck();
      },
      opts,
      () => this.size + 1,
    );
  }

  /**
   * Resolves "ok" with every byte once the stream has ended (the peer closed), consuming them;
   * until then the bytes stay buffered, so a timeout or cancel loses nothing. The read raises the
   * cap as it waits; a stream that does not end within the read limit fails (code `too-large`).
   */
  recvAll(opts?: ReadOptions): Promise<ReadResult> {
    return this.#read(
      () => {
        if (this.#ended) return { status: "ok", data: this.#consume(this.size) };
        if (this.#failed) return this.#stuck();
        return this.#beyondLimit("no end of stream") ?? undefined;
      },
      opts,
      () => this.size + 1,
    );
  }

  /** Discards everything buffered now (see {@link Receiver.discard}): how many bytes. */
  discard(): { bytes: number } {
    return { bytes: this.drain().length };
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
    return this.#read(
      attempt as () => ReadResult | undefined,
      opts,
      () => expected.length,
    ) as Promise<
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

  /** A search that found nothing in a buffer at the read limit fails: it can never succeed. */
  #beyondLimit(what: string): ReadResult | undefined {
    if (this.size < this.#limit) return undefined;
    const error = new SockitError(
      `${what} in ${formatSize(this.#limit)}, the most one read may buffer (receive buffer full)`,
      { code: "too-large" },
    );
    return { status: "error", data: this.peek(), error };
  }

  /**
   * Queues a read. While it waits, `need` says how many bytes it needs buffered at once: when
   * that is more than the cap, the cap is raised for it (up to the limit) and the pump woken.
   */
  #read(
    attempt: () => ReadResult | undefined,
    opts: ReadOptions = {},
    need: () => number,
  ): Promise<ReadResult> {
    const { timeout } = opts;
    if (timeout !== undefined && Number.isNaN(timeout)) {
      throw new SockitError(`Invalid read timeout ${timeout}`, { code: "usage" });
    }
    const tracked = () => {
      const result = attempt();
      if (result === undefined) this.#raise(need());
      else this.#want = 0;
      return result;
    };
    return this.#reads.read(tracked, opts).then((result) => {
      if (this.#reads.size === 0) this.#want = 0;
      return result;
    });
  }

  /** Raises the cap to `n` bytes (at most the limit) for the waiting read; wakes the pump. */
  #raise(n: number): void {
    this.#want = Math.min(n, this.#limit);
    if (this.#spaceWaiters.length > 0 && !this.full) this.#wakeSpace();
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
