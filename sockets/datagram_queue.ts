/**
 * The receive side of datagram sockets: one queue of whole datagrams per bound socket, read
 * through views (one per peer, and one for everything) that answer the same calls as a stream's
 * {@link ReceiveBuffer}, but within one datagram at a time.
 *
 * @module
 */

import { indexOfBytes, latin1 } from "../grammar/bytes.ts";
import { PendingReads } from "./pending_reads.ts";
import type { ReadOptions, ReadResult } from "./receive_buffer.ts";
import type { ExpectedReadResult, Receiver } from "./receiver.ts";

/** A datagram read's outcome: a stream read's, plus the sender and whether it was cut. */
export interface DatagramReadResult extends ReadResult {
  /** The sender, e.g. `127.0.0.1:5353` or `[::1]:5353`. */
  from?: string;
  /** True when the datagram was longer than the read asked for; the rest was discarded. */
  truncated?: boolean;
  /** The datagram's full length, when truncated. */
  length?: number;
}

/** One received datagram (or what is left of it after a delimiter read). */
interface Datagram {
  data: Uint8Array;
  from: string;
}

const DEFAULT_CAP = 4 * 1024 * 1024;

/**
 * Whole datagrams in arrival order. Datagram boundaries are kept: one read returns bytes of one
 * datagram only. `recv(max)` takes the next datagram whole, or its first `max` bytes marked
 * `truncated` (the rest is discarded, as a datagram socket does). Delimiter and regex reads look
 * at the next datagram only: through the match they consume it, and what follows the match in
 * that datagram stays queued; when the next datagram holds no match the read fails without
 * consuming anything. Above the cap new datagrams are dropped and counted, as a kernel does.
 *
 * @example Datagrams keep their boundaries
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatagramQueue } from "./datagram_queue.ts";
 * const queue = new DatagramQueue();
 * const enc = new TextEncoder();
 * queue.push(enc.encode("one"), "127.0.0.1:5000");
 * queue.push(enc.encode("two"), "127.0.0.1:5000");
 * const r = await queue.all.recv(100, { timeout: 100 });
 * assert(new TextDecoder().decode(r.data) === "one");
 * const cut = await queue.all.recv(2, { timeout: 100 });
 * assert(cut.truncated === true && cut.data.length === 2);
 * ```
 */
export class DatagramQueue {
  #items: Datagram[] = [];
  #bytes = 0;
  #cap: number;
  /** Waiting reads, in one lane per view (per `accepts`): a view's reads go in call order. */
  readonly #reads = new PendingReads<DatagramReadResult, (from: string) => boolean>(
    (status, accepts) => ({ status, data: this.peekFrom(accepts) }),
  );
  #ended = false;
  /** Datagrams dropped because the queue was full. */
  dropped = 0;
  /** A view of every datagram, whoever sent it. */
  readonly all: DatagramView;

  constructor(options: { cap?: number } = {}) {
    this.#cap = options.cap ?? DEFAULT_CAP;
    this.all = new DatagramView(this, () => true);
  }

  /** Bytes queued in total. */
  get size(): number {
    return this.#bytes;
  }

  /** Bytes queued from one sender. */
  sizeFrom(accepts: (from: string) => boolean): number {
    let n = 0;
    for (const d of this.#items) if (accepts(d.from)) n += d.data.length;
    return n;
  }

  /** A view of the datagrams one sender (or any set of senders) sent. */
  view(accepts: (from: string) => boolean): DatagramView {
    return new DatagramView(this, accepts);
  }

  /** Queues a datagram (copied); false when it was dropped because the queue is full. */
  push(data: Uint8Array, from: string): boolean {
    if (this.#ended) return false;
    if (this.#bytes + data.length > this.#cap) {
      this.dropped++;
      return false;
    }
    this.#items.push({ data: data.slice(), from });
    this.#bytes += data.length;
    this.#reads.serve();
    return true;
  }

  /** Ends the queue: waiting and later reads that find nothing resolve `eof`. */
  end(): void {
    this.#ended = true;
    this.#reads.serve();
  }

  /** Index of the next datagram a view accepts, or -1. */
  #head(accepts: (from: string) => boolean): number {
    return this.#items.findIndex((d) => accepts(d.from));
  }

  /** Removes `n` bytes from the front of datagram `i` (the whole datagram when `n` covers it). */
  #take(i: number, n: number): void {
    const d = this.#items[i];
    if (n >= d.data.length) {
      this.#items.splice(i, 1);
      this.#bytes -= d.data.length;
    } else {
      d.data = d.data.subarray(n);
      this.#bytes -= n;
    }
  }

  /** Copy of what a view would read next (for timeout and error results). */
  peekFrom(accepts: (from: string) => boolean): Uint8Array {
    const i = this.#head(accepts);
    return i < 0 ? new Uint8Array(0) : this.#items[i].data.slice();
  }

  /**
   * Runs a read against the next datagram a view accepts. `decide` returns how many bytes to
   * consume and which to return, or an error message (nothing consumed).
   */
  read(
    accepts: (from: string) => boolean,
    decide: (data: Uint8Array) => { take: number; keep: number; discardRest?: boolean } | string,
    opts: ReadOptions = {},
  ): Promise<DatagramReadResult> {
    const attempt = (): DatagramReadResult | undefined => {
      const i = this.#head(accepts);
      if (i < 0) return this.#ended ? { status: "eof", data: new Uint8Array(0) } : undefined;
      const d = this.#items[i];
      const verdict = decide(d.data);
      if (typeof verdict === "string") {
        return { status: "error", data: d.data.slice(), error: new Error(verdict), from: d.from };
      }
      const data = d.data.slice(0, verdict.keep);
      const length = d.data.length;
      const truncated = verdict.discardRest === true && verdict.keep < length;
      this.#take(i, verdict.discardRest ? length : verdict.take);
      return { status: "ok", data, from: d.from, ...(truncated ? { truncated, length } : {}) };
    };
    return this.#reads.read(attempt, opts, accepts);
  }
}

/** The reading calls of {@link Receiver}, on the datagrams of one view of a queue. */
export class DatagramView implements Receiver {
  #queue: DatagramQueue;
  #accepts: (from: string) => boolean;

  constructor(queue: DatagramQueue, accepts: (from: string) => boolean) {
    this.#queue = queue;
    this.#accepts = accepts;
  }

  /** Bytes queued for this view. */
  get size(): number {
    return this.#queue.sizeFrom(this.#accepts);
  }

  /** The next datagram whole, or its first `max` bytes marked truncated. */
  recv(max: number, opts?: ReadOptions): Promise<DatagramReadResult> {
    return this.#queue.read(this.#accepts, (d) => ({
      take: d.length,
      keep: Math.min(max, d.length),
      discardRest: true,
    }), opts);
  }

  /** The next datagram's first `n` bytes; fails (consuming nothing) when it is shorter. */
  recvExact(n: number, opts?: ReadOptions): Promise<DatagramReadResult> {
    return this.#queue.read(
      this.#accepts,
      (d) =>
        d.length < n
          ? `the next datagram has ${d.length} bytes, not ${n}`
          : { take: d.length, keep: n, discardRest: true },
      opts,
    );
  }

  /** Through the first delimiter in the next datagram; the rest of that datagram stays queued. */
  recvUntil(
    delims: Uint8Array | Uint8Array[],
    opts: ReadOptions & { drop?: boolean } = {},
  ): Promise<DatagramReadResult> {
    const list = Array.isArray(delims) ? delims : [delims];
    return this.#queue.read(this.#accepts, (d) => {
      let best: { at: number; len: number } | undefined;
      for (const delim of list) {
        const at = indexOfBytes(d, delim);
        if (at >= 0 && (!best || at < best.at)) best = { at, len: delim.length };
      }
      if (!best) return `the next datagram (${d.length} bytes) holds no delimiter`;
      const end = best.at + best.len;
      return { take: end, keep: opts.drop ? best.at : end };
    }, opts);
  }

  /** Through the first `\n` in the next datagram. */
  recvLine(opts?: ReadOptions & { drop?: boolean }): Promise<DatagramReadResult> {
    return this.recvUntil(new Uint8Array([10]), opts);
  }

  /**
   * The next datagram if it is exactly `expected` (consumed, status ok); status mismatch when it
   * differs (`at` is the first differing byte, a datagram that ends early differs at its end;
   * nothing is consumed).
   */
  async recvExpected(expected: Uint8Array, opts?: ReadOptions): Promise<ExpectedReadResult> {
    let at = -1;
    const read = await this.#queue.read(this.#accepts, (d) => {
      let i = 0;
      while (i < d.length && i < expected.length && d[i] === expected[i]) i++;
      if (i === d.length && i === expected.length) return { take: d.length, keep: d.length };
      at = i;
      return `the next datagram differs from the expected one at byte ${i}`;
    }, opts);
    if (read.status !== "error" || at < 0) return read;
    return { status: "mismatch", data: read.data, at, from: read.from };
  }

  /** Through the first match of `re` in the next datagram (run on its latin1 text). */
  recvMatch(re: RegExp, opts?: ReadOptions): Promise<DatagramReadResult> {
    const once = new RegExp(re.source, re.flags.replace(/[gy]/g, ""));
    return this.#queue.read(this.#accepts, (d) => {
      const m = once.exec(latin1(d));
      if (!m) return `the next datagram (${d.length} bytes) does not match ${re}`;
      const end = m.index + m[0].length;
      return { take: end, keep: end };
    }, opts);
  }
}
