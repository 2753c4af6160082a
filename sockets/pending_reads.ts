/**
 * The reads waiting for data, shared by the stream `ReceiveBuffer` and the `DatagramQueue`: their
 * order, their timers and their abort listeners.
 *
 * @module
 */

import { startTimer } from "../grammar/duration.ts";
import type { ReadOptions } from "./receive_buffer.ts";

/** Why a waiting read ended without its data. */
export type AbandonReason = "timeout" | "cancelled";

/** One waiting read. */
interface Waiter<R, L> {
  lane: L;
  attempt: () => R | undefined;
  resolve: (result: R) => void;
  /** Cancels the read's timer, when it has one. */
  cancelTimer?: () => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * A FIFO queue of reads waiting for data. A read is an `attempt` that returns its result, or
 * `undefined` while it has to wait; {@link PendingReads.serve} attempts the waiting reads again
 * whenever the data changed.
 *
 * - Every read belongs to a lane: a stream has one (`L` is `void` and the lane is left out), a
 *   datagram queue has one per view. Only the oldest waiting read of a lane is attempted, so the
 *   reads of a lane complete in call order; across lanes the oldest read goes first.
 * - A read's timeout counts from its call, also while it waits behind earlier reads. When it
 *   expires, or the read's signal aborts, the read is abandoned: it leaves the queue without being
 *   attempted (so it consumes nothing) and resolves with what the constructor's `abandoned`
 *   callback makes of the reason and the lane. The next read of its lane then gets its turn.
 * - However a read ends, its timer is cleared and its abort listener removed.
 *
 * @example Reads of one lane are served in call order
 * ```ts
 * import assert from "node:assert/strict";
 * import { PendingReads } from "./pending_reads.ts";
 *
 * const lines: string[] = [];
 * const reads = new PendingReads<string>((reason) => reason);
 * const nextLine = () => lines.shift();
 * const first = reads.read(nextLine, {});
 * const second = reads.read(nextLine, { timeout: 1000 });
 * lines.push("one", "two");
 * reads.serve();
 * assert(await first === "one");
 * assert(await second === "two");
 * assert(reads.size === 0);
 * ```
 */
export class PendingReads<R, L = void> {
  #queue: Waiter<R, L>[] = [];
  readonly #abandoned: (reason: AbandonReason, lane: L) => R;

  /** `abandoned` makes the result of a read of `lane` that timed out or was cancelled. */
  constructor(abandoned: (reason: AbandonReason, lane: L) => R) {
    this.#abandoned = abandoned;
  }

  /** How many reads are waiting, in all lanes. */
  get size(): number {
    return this.#queue.length;
  }

  /**
   * Starts a read of `lane`. When `opts.signal` is already aborted it resolves cancelled at once.
   * When no read of the lane is waiting, `attempt` runs at once and a result resolves the read.
   * Otherwise the read queues behind the others, with its timeout (any length; `undefined` or
   * `Infinity` waits until served or cancelled; below 0 counts as 0) and abort listener armed.
   */
  read(attempt: () => R | undefined, opts: ReadOptions, lane: L): Promise<R> {
    const { timeout, signal } = opts;
    if (signal?.aborted) return Promise.resolve(this.#abandoned("cancelled", lane));
    if (!this.#queue.some((w) => w.lane === lane)) {
      const result = attempt();
      if (result !== undefined) return Promise.resolve(result);
    }
    return new Promise((resolve) => {
      const w: Waiter<R, L> = { lane, attempt, resolve };
      this.#queue.push(w);
      if (timeout !== undefined && timeout !== Infinity) {
        w.cancelTimer = startTimer(timeout, () => this.#abandon(w, "timeout"));
      }
      if (signal) {
        w.signal = signal;
        w.onAbort = () => this.#abandon(w, "cancelled");
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
    });
  }

  /**
   * Attempts the oldest waiting read of each lane, oldest first, and resolves the first that gets
   * a result; then starts over, until no waiting read can complete.
   */
  serve(): void {
    const queue = this.#queue;
    pass: while (queue.length > 0) {
      for (let i = 0; i < queue.length; i++) {
        if (!this.#oldestOfLane(i)) continue;
        const w = queue[i];
        const result = w.attempt();
        if (result === undefined) continue;
        queue.splice(i, 1);
        this.#settle(w, result);
        continue pass;
      }
      return;
    }
  }

  /** Whether the read at index `i` is the oldest waiting read of its lane. */
  #oldestOfLane(i: number): boolean {
    const lane = this.#queue[i].lane;
    for (let j = 0; j < i; j++) if (this.#queue[j].lane === lane) return false;
    return true;
  }

  /** Ends a waiting read without attempting it; the next read of its lane may then go. */
  #abandon(w: Waiter<R, L>, reason: AbandonReason): void {
    const i = this.#queue.indexOf(w);
    if (i === -1) return;
    const wasOldest = this.#oldestOfLane(i);
    this.#queue.splice(i, 1);
    this.#settle(w, this.#abandoned(reason, w.lane));
    if (wasOldest) this.serve();
  }

  /** Clears the read's timer and abort listener, then resolves it. */
  #settle(w: Waiter<R, L>, result: R): void {
    w.cancelTimer?.();
    if (w.onAbort) w.signal!.removeEventListener("abort", w.onAbort);
    w.resolve(result);
  }
}
