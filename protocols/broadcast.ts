/**
 * What the servers that pass bytes from one client to the others share (the chat room and the
 * broker): a broadcast log that stores each message once, and a per-client outbox of ranges of
 * it with the slow-client rule: a client whose queue passes its limit is dropped, so it never
 * holds up the others.
 *
 * @module
 */
import { writeAll } from "./_io.ts";
import type { Peer, ServerConn } from "./server.ts";

/** Bytes a broadcast log block holds (a longer message gets a block of its own size). */
const BLOCK = 64 * 1024;

/** One block of the broadcast log; `used` grows while it is the newest block. */
export interface Block {
  readonly data: Uint8Array;
  used: number;
  next?: Block;
}

/**
 * The room's broadcast log: every broadcast message is stored once, appended to a chain of
 * blocks. Outboxes hold ranges of it, so a message sent to 5,000 members costs 5,000 length
 * updates, not 5,000 queue entries. Only the newest block is referenced from here; older blocks
 * stay alive exactly as long as some outbox still has bytes in them (the garbage collector does
 * the bookkeeping).
 *
 * @example Two messages in a row
 * ```ts
 * import assert from "node:assert/strict";
 * import { BroadcastLog } from "./broadcast.ts";
 * const log = new BroadcastLog();
 * const first = log.append(new Uint8Array([1, 2]));
 * const second = log.append(new Uint8Array([3]));
 * assert.equal(second.before, first.block); // the second continues where the first ended
 * assert.equal(second.beforeOff, 2);
 * ```
 */
export class BroadcastLog {
  #tail: Block = { data: new Uint8Array(BLOCK), used: 0 };

  /**
   * Appends `message`; returns where it starts and where the log ended before it (a range of
   * some outbox that ends there can grow over the message).
   */
  append(message: Uint8Array): Position {
    let tail = this.#tail;
    const before: Block = tail;
    const beforeOff = tail.used;
    if (tail.used + message.length > tail.data.length) {
      tail = { data: new Uint8Array(Math.max(BLOCK, message.length)), used: 0 };
      this.#tail.next = tail;
      this.#tail = tail;
    }
    const off = tail.used;
    tail.data.set(message, off);
    tail.used += message.length;
    return { block: tail, off, before, beforeOff, length: message.length };
  }
}

/** Where {@link BroadcastLog.append} put a message, and where the log ended before it. */
export interface Position {
  block: Block;
  off: number;
  /** The log's end before this message. */
  before: Block;
  beforeOff: number;
  length: number;
}

/** `length` bytes of the broadcast log from `block.data[off]` on (hopping to `next` blocks). */
interface Range {
  block: Block;
  off: number;
  length: number;
  /** Where the range ends, to tell whether the next broadcast continues it. */
  endBlock: Block;
  endOff: number;
}

/**
 * A client's outgoing queue: ranges of the shared broadcast log, interleaved with the client's
 * own replies (`* welcome`, `/who`, …). A broadcast that directly follows the queue's last range
 * in the log lengthens that range (no allocation), so the queue has a few entries however many
 * messages wait. One write loop per client writes whatever queued up meanwhile, each write one
 * contiguous piece (a reply, or a range's part within one log block as a view of the shared
 * block: nothing is copied per client). Bytes queued plus bytes being written are bounded; past
 * the bound `onOverflow` runs and nothing more is queued.
 */
export class Outbox {
  #queue: (Uint8Array | Range)[] = [];
  #queued = 0;
  #writing = false;
  #dead = false;
  #idle: (() => void)[] = [];

  constructor(
    readonly conn: ServerConn,
    readonly peer: Peer,
    readonly limit: number,
    readonly onOverflow: (queued: number) => void,
  ) {}

  get dead(): boolean {
    return this.#dead;
  }

  /** Queues a reply for this client alone. */
  push(message: Uint8Array): void {
    if (this.#dead) return;
    this.#queue.push(message);
    this.#added(message.length);
  }

  /** Queues a message of the broadcast log. */
  pushShared(at: Position): void {
    if (this.#dead) return;
    const last = this.#queue[this.#queue.length - 1];
    if (
      last !== undefined && !(last instanceof Uint8Array) &&
      last.endBlock === at.before && last.endOff === at.beforeOff
    ) {
      last.length += at.length;
    } else {
      this.#queue.push({
        block: at.block,
        off: at.off,
        length: at.length,
        endBlock: at.block,
        endOff: 0,
      });
    }
    const range = this.#queue[this.#queue.length - 1] as Range;
    range.endBlock = at.block;
    range.endOff = at.off + at.length;
    this.#added(at.length);
  }

  #added(bytes: number): void {
    this.#queued += bytes;
    if (this.#queued > this.limit) {
      const queued = this.#queued;
      this.kill();
      this.onOverflow(queued);
      return;
    }
    if (!this.#writing) void this.#flush();
  }

  /**
   * Takes the next contiguous piece off the front of the queue: a reply as it is, or the part
   * of a range that lies in one log block, as a view of the shared block (no copy).
   */
  #take(): Uint8Array {
    const item = this.#queue[0];
    if (item instanceof Uint8Array) {
      this.#queue.shift();
      return item;
    }
    if (item.off === item.block.used) {
      item.block = item.block.next!;
      item.off = 0;
    }
    const n = Math.min(item.length, item.block.used - item.off);
    const piece = item.block.data.subarray(item.off, item.off + n);
    item.off += n;
    item.length -= n;
    if (item.length === 0) this.#queue.shift();
    return piece;
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.#dead) {
        const data = this.#take();
        await writeAll(this.conn, data);
        this.peer.bytesOut += data.length;
        this.#queued -= data.length;
      }
    } catch {
      this.kill(); // the client went away; its reader sees that too
    }
    this.#writing = false;
    for (const wake of this.#idle.splice(0)) wake();
  }

  /** Resolves once everything queued was written (or the client is gone). */
  idle(): Promise<void> {
    if (!this.#writing) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Drops everything queued and queues nothing more (the client is gone or dropped). */
  kill(): void {
    this.#dead = true;
    this.#queue = [];
    this.#queued = 0;
  }
}
