/**
 * The write side of a stream socket: one writer per socket, so sends never interleave, and every
 * send can be ended — by its signal (Ctrl-C), its deadline (`--timeout`) or `close` — with an
 * error that says exactly how many bytes went out.
 *
 * A Deno `conn.write` cannot be withdrawn: once issued it completes when the peer makes room, or
 * fails when the connection closes. So the writer issues bounded writes (at most
 * {@linkcode MAX_WRITE} bytes each), looks at the signal between them, and races the write in
 * flight against the signal, the deadline and `close`. When a send ends while a write is still
 * blocked on the peer, that write is *parked*: the send settles at once (its error counts only the
 * bytes the kernel took), the socket stays open and readable, the parked bytes are counted in
 * `bytesOut` if and when the peer makes room for them, and the next send waits for the parked
 * write first (that wait is cancellable too). `close` drops a parked write.
 *
 * @module
 */

import { formatDuration, startTimer } from "../grammar/duration.ts";
import { type ErrorCode, SockitError } from "../grammar/errors.ts";

/** The most bytes one transport write is given: bounds what a parked write can still send. */
export const MAX_WRITE = 256 * 1024;

/** How a send may be ended early; all optional. */
export interface WriteOptions {
  /** Ends the send when aborted (Ctrl-C, a signal, a stopped run). */
  signal?: AbortSignal;
  /** Ends the send after this many ms (one deadline for the whole send, not per write). */
  timeout?: number;
  /** How many bytes the whole send holds, for the error (`65536 of 1048576 bytes sent`). */
  total?: number;
  /**
   * The deadline as the user gave it, for the error (`timed out after 300ms`), when `timeout` is
   * what is left of it (a glob send shares one deadline).
   */
  stated?: number;
}

/** Why a send ended early: a thrown value the writer recognises as its own. */
class Stopped {
  constructor(readonly code: ErrorCode, readonly why: string) {}
}

/** One send's end conditions as a promise that rejects with {@link Stopped}; one timer at most. */
class StopWhen {
  readonly promise: Promise<never>;
  #stopped: Stopped | undefined;
  #dispose: () => void = () => {};

  constructor(options: WriteOptions, closing: Promise<void>) {
    this.promise = new Promise<never>((_, fail) => {
      const reject = (why: Stopped) => {
        this.#stopped ??= why;
        fail(why);
      };
      const { signal, timeout } = options;
      const onAbort = () => reject(new Stopped("cancelled", "cancelled"));
      const said = formatDuration(options.stated ?? timeout ?? 0);
      const cancelTimer = timeout === undefined
        ? undefined
        : startTimer(timeout, () => reject(new Stopped("timeout", `timed out after ${said}`)));
      signal?.addEventListener("abort", onAbort, { once: true });
      closing.then(() => reject(new Stopped("closed", "socket was closed")));
      this.#dispose = () => {
        cancelTimer?.();
        signal?.removeEventListener("abort", onAbort);
      };
      if (signal?.aborted) onAbort();
    });
    this.promise.catch(() => {});
  }

  /** Throws if the send has been told to stop. */
  check(): void {
    if (this.#stopped) throw this.#stopped;
  }

  /** Resolves as `work` does, unless the send is told to stop first. */
  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.promise]);
  }

  dispose(): void {
    this.#dispose();
  }
}

/** A write still blocked on the peer after its send ended. */
interface Parked {
  bytes: number;
  done: Promise<void>;
}

/** Words a transport write failure in one line, with its code. */
function writeFailure(error: unknown): Stopped {
  if (error instanceof Deno.errors.BrokenPipe) {
    return new Stopped("eof", "peer closed the connection (broken pipe)");
  }
  if (error instanceof Deno.errors.ConnectionReset) {
    return new Stopped("reset", "connection reset by peer");
  }
  if (error instanceof Deno.errors.Interrupted || error instanceof Deno.errors.BadResource) {
    return new Stopped("closed", "socket was closed");
  }
  const message = error instanceof Error ? error.message : String(error);
  return new Stopped("failed", message.split("\n")[0]);
}

/**
 * Serialises the sends of one stream socket and makes each one endable; see the module doc.
 *
 * @example A send to a peer that never reads, ended by its deadline
 * ```ts
 * import assert from "node:assert/strict";
 * import { SockitError } from "../grammar/errors.ts";
 * import { StreamWriter } from "./stream_writer.ts";
 *
 * let out = 0;
 * // A transport whose second write never completes, as with a peer that stopped reading.
 * let calls = 0;
 * const writer = new StreamWriter("a", {
 *   write: (p) => ++calls === 1 ? Promise.resolve(p.length) : new Promise(() => {}),
 *   counted: (n) => out += n,
 * });
 * const data = new Uint8Array(300 * 1024);
 * await assert.rejects(writer.write([data], { timeout: 10, total: data.length }), (e) => {
 *   assert(e instanceof SockitError);
 *   assert.equal(e.code, "timeout");
 *   assert.equal(e.message, 'Cannot send to "a": timed out after 10ms, 262144 of 307200 bytes sent');
 *   return true;
 * });
 * assert.equal(out, 262144);
 * assert.equal(writer.parked, 45056);
 * writer.close();
 * ```
 */
export class StreamWriter {
  readonly #name: string;
  readonly #write: (p: Uint8Array) => Promise<number>;
  readonly #counted: (n: number) => void;
  readonly #tapped: ((bytes: Uint8Array) => Promise<void> | void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #parked: Parked | undefined;
  #pending = 0;
  #close!: () => void;
  readonly #closing = new Promise<void>((resolve) => this.#close = resolve);

  /**
   * A writer for the socket `name`: `write` is the transport's raw write (it may write part of
   * what it is given), `counted` is told every byte the transport took, and `tapped` (a
   * logger's tap) is shown those bytes; a promise it returns holds the send until it settles.
   */
  constructor(name: string, io: {
    write: (p: Uint8Array) => Promise<number>;
    counted: (n: number) => void;
    tapped?: (bytes: Uint8Array) => Promise<void> | void;
  }) {
    this.#name = name;
    this.#write = io.write;
    this.#counted = io.counted;
    this.#tapped = io.tapped;
  }

  /** Sends queued or under way. */
  get pending(): number {
    return this.#pending;
  }

  /** Bytes of a parked write (from an ended send) still waiting for the peer; 0 when none. */
  get parked(): number {
    return this.#parked?.bytes ?? 0;
  }

  /**
   * Writes every chunk of `source` in order, after any send already under way, holding the
   * socket's write side for the whole transfer so nothing interleaves. `source` may reuse one
   * buffer between chunks. Resolves with the bytes sent; rejects with a one-line SockitError
   * that counts the bytes sent when the transport fails or the send is ended.
   */
  write(
    source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<number> {
    this.#pending++;
    return this.serial(() => this.#send(source, options)).finally(() => this.#pending--);
  }

  /** Runs `fn` once every earlier send has settled (upgrades run their last plain write here). */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Settles when every queued send has settled and no write is parked. */
  async idle(): Promise<void> {
    await this.#queue;
    await this.#parked?.done;
  }

  /** Ends every pending send ("socket was closed") and forgets a parked write. */
  close(): void {
    this.#close();
  }

  async #send(
    source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    options: WriteOptions,
  ): Promise<number> {
    const stop = new StopWhen(options, this.#closing);
    let sent = 0;
    try {
      if (this.#parked) await stop.race(this.#parked.done);
      for await (const chunk of source) {
        stop.check();
        let off = 0;
        while (off < chunk.length) {
          const piece = chunk.subarray(off, off + MAX_WRITE);
          const op = this.#write(piece);
          let n: number;
          try {
            n = await stop.race(op);
          } catch (error) {
            if (error instanceof Stopped) this.#park(op, piece.slice());
            throw error;
          }
          off += n;
          sent += n;
          this.#counted(n);
          const behind = this.#tapped?.(piece.subarray(0, n));
          if (behind) await behind;
        }
      }
      return sent;
    } catch (error) {
      throw this.#error(error, sent, options.total);
    } finally {
      stop.dispose();
    }
  }

  /** Keeps track of a write the send no longer waits for; its bytes count when they go out. */
  #park(op: Promise<number>, piece: Uint8Array): void {
    const bytes = piece.length;
    const parked: Parked = {
      bytes,
      done: op.then((n) => {
        this.#counted(n);
        this.#tapped?.(piece.subarray(0, n));
      }, () => {}).finally(() => {
        if (this.#parked === parked) this.#parked = undefined;
      }),
    };
    this.#parked = parked;
    // After close the write fails (Deno cancels it) or never settles (TLS): forget it either way.
    this.#closing.then(() => {
      if (this.#parked === parked) this.#parked = undefined;
    });
  }

  #error(error: unknown, sent: number, total: number | undefined): SockitError {
    if (error instanceof SockitError) return error;
    const stopped = error instanceof Stopped ? error : writeFailure(error);
    const count = total === undefined ? `${sent} bytes sent` : `${sent} of ${total} bytes sent`;
    const parked = this.parked;
    return new SockitError(`Cannot send to "${this.#name}": ${stopped.why}, ${count}`, {
      code: stopped.code,
      cause: error instanceof Stopped ? undefined : error,
      hint: parked && stopped.code !== "closed"
        ? `${parked} more bytes wait in a write that cannot be withdrawn: they go out if the ` +
          `peer reads; close ${this.#name} drops them`
        : undefined,
    });
  }
}
