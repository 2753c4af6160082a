import type { ReadStatus } from "../grammar/errors.ts";
import type { ReadOptions, ReadResult } from "./receive_buffer.ts";

/**
 * The outcome of {@link Receiver.recvExpected}: a read's, plus status `mismatch` when the bytes
 * that arrived differ from the expected ones. Like every status but `ok`, a mismatch consumes
 * nothing: `data` is a copy of what is buffered (the differing bytes stay in the buffer).
 *
 * @example A mismatch says where the bytes differ, and consumes nothing
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReceiveBuffer } from "./receive_buffer.ts";
 * import type { ExpectedReadResult } from "./receiver.ts";
 * const buffer = new ReceiveBuffer();
 * buffer.push(new TextEncoder().encode("PONG\r\n"));
 * const result: ExpectedReadResult = await buffer.recvExpected(new TextEncoder().encode("PING\r\n"));
 * assert.equal(result.status, "mismatch");
 * assert.equal(result.at, 1);
 * assert.equal((await buffer.recv(100)).data.length, 6);
 * ```
 */
export interface ExpectedReadResult extends Omit<ReadResult, "status"> {
  /** How the read ended; `mismatch` at the first differing byte. */
  status: ReadStatus | "mismatch";
  /** For status mismatch: the index of the first byte that differs from the expected bytes. */
  at?: number;
  /** For a datagram: who sent it. */
  from?: string;
}

/**
 * The reading calls every receiving socket offers through its `buffer`: a stream's
 * {@link ReceiveBuffer}, or a datagram view ({@link DatagramView}) that answers the same calls
 * within one datagram. `sockets/receiver_contract_test.ts` runs one suite against both.
 *
 * The contract, the same for both:
 * - Reads are served one at a time in call order, each with one overall deadline counted from
 *   the call; only status `ok` consumes. Timeout and cancel (the signal) consume nothing and
 *   return a copy of what the read was looking at.
 * - `recv(max)` needs `max` >= 1 (`recv 0` throws a usage error); `recvExact(0)` succeeds at once
 *   with no bytes; an empty delimiter, or none, throws.
 * - `recvUntil` with several delimiters returns through the one that ENDS first, on a tie the
 *   longest. pwntools returns the earliest-starting match among the bytes it has read so far,
 *   which on a stream depends on how the bytes were split into reads; the earliest end is the
 *   same however they arrive. They agree whenever no delimiter contains another's match.
 * - `recvMatch` ignores `g`; with `y` the match must start at the first unread byte. Given several
 *   regexes (pexpect's and `expect`'s alternatives) it waits for any of them in one read: the
 *   match that starts first wins, on a tie the first listed (as one regex `A|B` would choose), and
 *   `alternative` says which. One read, one deadline: never a race of several reads.
 * - `discard()` throws away what is buffered now, without waiting, and says how much.
 * - End of stream is status `eof`; the bytes left stay readable first.
 *
 * Where datagrams differ, because a datagram is complete when it arrives:
 * - A read never spans datagrams. When the next datagram cannot satisfy a read (too short for
 *   `recvExact`, no delimiter, no match) the read fails at once with status `error`, consuming
 *   nothing; on a stream the same read waits for more bytes (or ends `eof`).
 * - `recv(max)` takes the next datagram whole: longer than `max`, it is cut, marked `truncated`
 *   and the rest discarded. The other reads keep the rest of the datagram queued.
 * - An empty datagram is a datagram: `recv` returns it as zero bytes.
 *
 * @example Reading a line from a stream buffer through the contract
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReceiveBuffer } from "./receive_buffer.ts";
 * import type { Receiver } from "./receiver.ts";
 * const buffer = new ReceiveBuffer();
 * const receiver: Receiver = buffer;
 * buffer.push(new TextEncoder().encode("hi\n"));
 * const line = await receiver.recvLine({ timeout: 100 });
 * assert.equal(new TextDecoder().decode(line.data), "hi\n");
 * ```
 */
export interface Receiver {
  /** Bytes waiting to be read. */
  readonly size: number;
  /** As soon as any bytes are there: up to `max` of them (datagrams: the next one). */
  recv(max: number, opts?: ReadOptions): Promise<ReadResult>;
  /** Exactly `n` bytes. */
  recvExact(n: number, opts?: ReadOptions): Promise<ReadResult>;
  /** Through the delimiter that ends first (without it when `drop`). */
  recvUntil(
    delims: Uint8Array | Uint8Array[],
    opts?: ReadOptions & { drop?: boolean },
  ): Promise<ReadResult>;
  /** Through the next `\n` (without it when `drop`). */
  recvLine(opts?: ReadOptions & { drop?: boolean }): Promise<ReadResult>;
  /**
   * Through the end of the first match of `re` on the latin1 text of the bytes; with several
   * regexes, of the match that starts first (`alternative` is its index in the list).
   */
  recvMatch(re: RegExp | RegExp[], opts?: ReadOptions): Promise<ReadResult>;
  /** Discards what is buffered now (datagrams: every queued one): the bytes, and datagrams. */
  discard(): { bytes: number; datagrams?: number };
  /**
   * Reads exactly `expected`, comparing as bytes arrive: `ok` (consuming them) once they all
   * arrived equal, `mismatch` as soon as one differs (consuming nothing), else timeout, eof,
   * cancelled or error as any read, with one deadline for the call. On a stream the expected
   * bytes are a claim about the next bytes, however they are split; on datagrams they are the
   * whole next datagram. Replay and the mock check every received byte with this.
   */
  recvExpected(expected: Uint8Array, opts?: ReadOptions): Promise<ExpectedReadResult>;
}
