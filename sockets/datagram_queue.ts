/**
 * The receive side of datagram sockets: one queue of whole datagrams per bound socket, read
 * through views (one per sender, and one for everything) that answer the same calls as a stream's
 * {@link ReceiveBuffer}, but within one datagram at a time (see {@link Receiver} for the contract
 * and the differences).
 *
 * @module
 */

import { SockitError } from "../grammar/errors.ts";
import { latin1 } from "../grammar/bytes.ts";
import { PendingReads } from "./pending_reads.ts";
import type { ReadOptions, ReadResult } from "./receive_buffer.ts";
import type { ExpectedReadResult, Receiver } from "./receiver.ts";
import {
  checkExactCount,
  checkRecvMax,
  delimiterList,
  earliestDelimiter,
  firstMatch,
  regexList,
} from "./_read_rules.ts";

/** A datagram read's outcome: a stream read's, plus the sender and whether it was cut. */
export interface DatagramReadResult extends ReadResult {
  /** The sender, e.g. `127.0.0.1:5353` or `[::1]:5353`. */
  from?: string;
  /** True when the datagram was longer than the read asked for; the rest was discarded. */
  truncated?: boolean;
  /** The datagram's full length, when truncated. */
  length?: number;
  /** The tag it was queued with (a WebSocket message's kind: `text` or `binary`). */
  tag?: string;
}

/** Settings of a {@link DatagramQueue}; all optional. */
export interface DatagramQueueOptions {
  /** Most bytes queued at once; a datagram that would go beyond is dropped. Default 4 MiB. */
  cap?: number;
  /** Most datagrams queued at once (empty ones count too). Default 65,536. */
  maxDatagrams?: number;
  /** What errors call one entry: `datagram` (default), or a WebSocket's `message`. */
  unit?: string;
}

/** Which datagrams a view reads: one sender's address, or `null` for every sender. */
export type Accepts = string | null;

/** One received datagram (or what is left of it after a delimiter read). */
interface Datagram {
  data: Uint8Array;
  from: string;
  /** What the transport says it is (a WebSocket message's kind), if anything. */
  tag?: string;
  /** Consumed through its sender's view: the arrival-order queue skips it. */
  taken: boolean;
}

/** A first-in first-out list with O(1) push and shift. */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  first(): T | undefined {
    return this.#items[this.#head];
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Keeps only the items `keep` accepts (O(n), for occasional compaction). */
  filter(keep: (item: T) => boolean): void {
    this.#items = this.#items.slice(this.#head).filter((x) => keep(x as T));
    this.#head = 0;
  }
}

/** One sender's datagrams, in arrival order, and their byte count. */
interface Sender {
  items: Fifo<Datagram>;
  bytes: number;
}

const DEFAULT_CAP = 4 * 1024 * 1024;
const DEFAULT_MAX_DATAGRAMS = 65_536;
const EMPTY = new Uint8Array(0);

/** What a read decides about the next datagram: how much it takes and returns, or why it fails. */
type Verdict =
  | {
    take: number;
    keep: number;
    discardRest?: boolean;
    match?: RegExpExecArray;
    alternative?: number;
  }
  | string;

/**
 * Whole datagrams in arrival order, bounded by bytes and by count. Datagram boundaries are kept:
 * one read returns bytes of one datagram only. `recv(max)` takes the next datagram whole, or its
 * first `max` bytes marked `truncated` (the rest is discarded, as a datagram socket does). The
 * other reads look at the next datagram only: they consume through what they return, and the
 * rest of that datagram stays queued; when the next datagram cannot satisfy them they fail at
 * once without consuming anything. Above either bound new datagrams are dropped and counted, as
 * a kernel does. Every per-datagram step (queueing, reading, the sizes) takes constant time,
 * however many senders there are.
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
 * assert.equal(new TextDecoder().decode(r.data), "one");
 * const cut = await queue.all.recv(2, { timeout: 100 });
 * assert(cut.truncated === true && cut.data.length === 2);
 * assert.equal(queue.count, 0);
 * ```
 */
export class DatagramQueue {
  /** Every queued datagram in arrival order (taken ones are skipped lazily). */
  #order = new Fifo<Datagram>();
  /** Taken datagrams still sitting in #order. */
  #stale = 0;
  #senders = new Map<string, Sender>();
  #bytes = 0;
  #count = 0;
  #cap: number;
  #maxDatagrams: number;
  /** Waiting reads, in one lane per view (per `accepts`): a view's reads go in call order. */
  readonly #reads = new PendingReads<DatagramReadResult, Accepts>(
    (status, accepts) => ({ status, data: this.peekFrom(accepts) }),
  );
  #ended = false;
  /** Datagrams dropped because the queue was full. */
  dropped = 0;
  /** A view of every datagram, whoever sent it. */
  readonly all: DatagramView;
  /** What errors call one entry (`datagram`, `message`). */
  readonly unit: string;

  /** Creates an empty queue. */
  constructor(options: DatagramQueueOptions = {}) {
    this.unit = options.unit ?? "datagram";
    this.#cap = options.cap ?? DEFAULT_CAP;
    this.#maxDatagrams = options.maxDatagrams ?? DEFAULT_MAX_DATAGRAMS;
    this.all = new DatagramView(this, null);
  }

  /** Bytes queued in total. */
  get size(): number {
    return this.#bytes;
  }

  /** Datagrams queued in total (empty ones included). */
  get count(): number {
    return this.#count;
  }

  /** Bytes queued from one sender (`null`: from everyone). */
  sizeFrom(accepts: Accepts): number {
    return accepts === null ? this.#bytes : this.#senders.get(accepts)?.bytes ?? 0;
  }

  /** A view of the datagrams one sender sent. */
  view(from: string): DatagramView {
    return new DatagramView(this, from);
  }

  /**
   * Queues a datagram (copied), with an optional `tag` that reads return (a WebSocket message's
   * kind); false when it was dropped because the queue is full.
   */
  push(data: Uint8Array, from: string, tag?: string): boolean {
    if (this.#ended) return false;
    if (this.#bytes + data.length > this.#cap || this.#count >= this.#maxDatagrams) {
      this.dropped++;
      return false;
    }
    const d: Datagram = { data: data.slice(), from, taken: false, ...(tag ? { tag } : {}) };
    this.#order.push(d);
    let sender = this.#senders.get(from);
    if (!sender) this.#senders.set(from, sender = { items: new Fifo(), bytes: 0 });
    sender.items.push(d);
    sender.bytes += data.length;
    this.#bytes += data.length;
    this.#count++;
    this.#reads.serve();
    return true;
  }

  /** Ends the queue: waiting and later reads that find nothing resolve `eof`. */
  end(): void {
    this.#ended = true;
    this.#reads.serve();
  }

  /** The next datagram a view reads, or undefined. */
  #head(accepts: Accepts): Datagram | undefined {
    if (accepts !== null) return this.#senders.get(accepts)?.items.first();
    let d = this.#order.first();
    while (d?.taken) {
      this.#order.shift();
      this.#stale--;
      d = this.#order.first();
    }
    return d;
  }

  /** Removes `n` bytes from the front of `d`, the next datagram of its sender and of `accepts`. */
  #take(d: Datagram, accepts: Accepts, n: number): void {
    const sender = this.#senders.get(d.from)!;
    const taken = Math.min(n, d.data.length);
    sender.bytes -= taken;
    this.#bytes -= taken;
    if (n < d.data.length) {
      d.data = d.data.subarray(n);
      return;
    }
    this.#count--;
    sender.items.shift();
    if (sender.items.length === 0) this.#senders.delete(d.from);
    d.data = EMPTY;
    if (accepts === null) {
      this.#order.shift();
      return;
    }
    d.taken = true;
    // Datagrams read through their sender's view wait in the arrival order until they reach its
    // front; compact when they outnumber the live ones, so the order stays O(queued) in size.
    if (++this.#stale > Math.max(1024, this.#count)) {
      this.#order.filter((x) => !x.taken);
      this.#stale = 0;
    }
  }

  /** Discards every datagram a view would read now: how many, and their bytes. */
  discardFrom(accepts: Accepts): { bytes: number; datagrams: number } {
    let [bytes, datagrams] = [0, 0];
    for (let d = this.#head(accepts); d; d = this.#head(accepts)) {
      bytes += d.data.length;
      datagrams++;
      this.#take(d, accepts, d.data.length);
    }
    return { bytes, datagrams };
  }

  /** Copy of what a view would read next (for timeout and error results). */
  peekFrom(accepts: Accepts): Uint8Array {
    return this.#head(accepts)?.data.slice() ?? new Uint8Array(0);
  }

  /**
   * Runs a read against the next datagram a view accepts. `decide` returns how many bytes to
   * consume and which to return, or an error message (nothing consumed). A read that `needsNone`
   * (a zero-byte recvExact) succeeds in its turn, whether or not a datagram is queued.
   */
  read(
    accepts: Accepts,
    decide: (data: Uint8Array) => Verdict,
    opts: ReadOptions = {},
    needsNone = false,
  ): Promise<DatagramReadResult> {
    const attempt = (): DatagramReadResult | undefined => {
      if (needsNone) return { status: "ok", data: new Uint8Array(0) };
      const d = this.#head(accepts);
      if (!d) return this.#ended ? { status: "eof", data: new Uint8Array(0) } : undefined;
      const verdict = decide(d.data);
      if (typeof verdict === "string") {
        return {
          status: "error",
          data: d.data.slice(),
          error: new SockitError(verdict),
          from: d.from,
        };
      }
      const length = d.data.length;
      const data = d.data.slice(0, verdict.keep);
      const from = d.from;
      const tag = d.tag;
      const truncated = verdict.discardRest === true && verdict.keep < length;
      this.#take(d, accepts, verdict.discardRest ? length : verdict.take);
      return {
        status: "ok",
        data,
        from,
        ...(truncated ? { truncated, length } : {}),
        ...(verdict.match ? { match: verdict.match } : {}),
        ...(tag ? { tag } : {}),
        ...(verdict.alternative !== undefined ? { alternative: verdict.alternative } : {}),
      };
    };
    return this.#reads.read(attempt, opts, accepts);
  }
}

/** The reading calls of {@link Receiver}, on the datagrams of one view of a queue. */
export class DatagramView implements Receiver {
  #queue: DatagramQueue;
  #accepts: Accepts;

  /** A view of `queue` reading one sender's datagrams (`accepts`), or every sender's (`null`). */
  constructor(queue: DatagramQueue, accepts: Accepts) {
    this.#queue = queue;
    this.#accepts = accepts;
  }

  /** Bytes queued for this view. */
  get size(): number {
    return this.#queue.sizeFrom(this.#accepts);
  }

  /** The next datagram whole, or its first `max` bytes marked truncated (the rest is discarded). */
  recv(max: number, opts?: ReadOptions): Promise<DatagramReadResult> {
    checkRecvMax(max);
    return this.#queue.read(this.#accepts, (d) => ({
      take: d.length,
      keep: Math.min(max, d.length),
      discardRest: true,
    }), opts);
  }

  /**
   * The next datagram's first `n` bytes; the rest of it stays queued. Fails at once (consuming
   * nothing) when it is shorter; `n` = 0 succeeds at once with no bytes.
   */
  recvExact(n: number, opts?: ReadOptions): Promise<DatagramReadResult> {
    checkExactCount(n);
    return this.#queue.read(
      this.#accepts,
      (d) =>
        d.length < n
          ? `the next ${this.#queue.unit} has ${d.length} bytes, not ${n}`
          : { take: n, keep: n },
      opts,
      n === 0,
    );
  }

  /**
   * Through the delimiter that ends first in the next datagram (on a tie the longest); the rest
   * of that datagram stays queued. Fails at once when the datagram holds none.
   */
  recvUntil(
    delims: Uint8Array | Uint8Array[],
    opts: ReadOptions & { drop?: boolean } = {},
  ): Promise<DatagramReadResult> {
    const list = delimiterList(delims);
    return this.#queue.read(this.#accepts, (d) => {
      const found = earliestDelimiter(d, list, 0, d.length);
      if (!found) return `the next ${this.#queue.unit} (${d.length} bytes) holds no delimiter`;
      return { take: found.end, keep: opts.drop ? found.end - found.length : found.end };
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
      return `the next ${this.#queue.unit} differs from the expected one at byte ${i}`;
    }, opts);
    if (read.status !== "error" || at < 0) return read;
    return { status: "mismatch", data: read.data, at, from: read.from };
  }

  /**
   * Through the first match of `re` in the next datagram (run on its latin1 text; `g` is ignored,
   * with `y` the match must start at the datagram's first byte). Given several regexes, the match
   * that starts first wins (on a tie the first listed) and `alternative` is its index. Fails at
   * once on no match.
   */
  recvMatch(re: RegExp | RegExp[], opts?: ReadOptions): Promise<DatagramReadResult> {
    const list = regexList(re);
    const several = !(re instanceof RegExp);
    return this.#queue.read(this.#accepts, (d) => {
      const found = firstMatch(list, latin1(d));
      if (!found) {
        return `the next ${this.#queue.unit} (${d.length} bytes) does not match ${
          list.join(" or ")
        }`;
      }
      const end = found.match.index + found.match[0].length;
      return {
        take: end,
        keep: end,
        match: found.match,
        ...(several ? { alternative: found.alternative } : {}),
      };
    }, opts);
  }

  /** Discards every datagram queued for this view now: how many, and their bytes. */
  discard(): { bytes: number; datagrams: number } {
    return this.#queue.discardFrom(this.#accepts);
  }
}
