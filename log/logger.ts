/**
 * A session log: every event and every byte, in both directions, on every socket, with
 * timestamps, as JSON Lines or pcap. {@link Logger.attach} follows a whole socket registry (the
 * shell, batch runs); any other data path records its own facts with {@link Logger.log}.
 *
 * @module
 */
import { isStable, release, retain } from "../grammar/bytes.ts";
import { type ErrorCode, SockitError, systemErrorCode, systemReason } from "../grammar/errors.ts";
import type { NamedSocket, SocketEvent } from "../sockets/named_socket.ts";
import type { SocketRegistry } from "../sockets/registry.ts";
import type { SocketTap } from "../sockets/tap.ts";
import type { LogFact, LogRecord } from "./record.ts";

/** How many bytes may wait for the log writer before {@link Logger.log} asks its caller to wait. */
export const HIGH_WATER = 16 * 1024 * 1024;
/** A batch of records is posted to the writer at once when it holds this many bytes. */
const BATCH_BYTES = 1024 * 1024;

/** The log formats. */
export const LOG_FORMATS = ["jsonl", "pcap"] as const;
/** A log format: JSON Lines or a pcap capture. */
export type LogFormat = typeof LOG_FORMATS[number];

/** The format a file name suggests: `pcap` for `.pcap`, else `jsonl`. */
export function formatFor(file: string): LogFormat {
  return /\.pcap$/i.test(file) ? "pcap" : "jsonl";
}

/** Checks a `--format` value, naming the action in the error. */
export function parseLogFormat(value: string, action: string): LogFormat {
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw new SockitError(`Cannot ${action}: unknown log format "${value}"`, {
    code: "usage",
    hint: "use jsonl or pcap",
  });
}

/**
 * Writes a log file. Time runs from when it was opened.
 *
 * @example Logging a conversation on a registry
 * ```ts
 * import assert from "node:assert/strict";
 * import { Logger } from "./logger.ts";
 * import { SocketRegistry } from "../sockets/registry.ts";
 * import { openTcp } from "../sockets/tcp.ts";
 * await using registry = new SocketRegistry();
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const logger = await Logger.open(path, "jsonl");
 * logger.attach(registry);
 * using server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const a = await openTcp(registry, "a", `127.0.0.1:${server.addr.port}`);
 * await a.write(new TextEncoder().encode("hi"));
 * await a.close();
 * await logger.close();
 * const events = (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l).event);
 * assert.deepEqual(events, ["open", "data", "closed"]);
 * await Deno.remove(path);
 * ```
 */
export class Logger {
  /** The file written. */
  readonly file: string;
  /** Its format. */
  readonly format: LogFormat;
  #worker: Worker;
  #wall0 = Date.now();
  #mono0 = performance.now();
  #detach: (() => void)[] = [];
  #closed = false;
  /** Records of this turn, posted together. */
  #batch: LogRecord[] = [];
  #batchBytes = 0;
  #transfer: ArrayBuffer[] = [];
  /** The timer that posts this turn's records. */
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The writer's thread failed: nothing more is posted, and nothing waits for it. */
  #dead = false;
  /** This turn's stable chunks, held until the writer is done with them. */
  #held: Uint8Array[] = [];
  /** The stable chunks of each batch posted and not yet written, in order. */
  #posted: Uint8Array[][] = [];
  /** Bytes posted and not yet written. */
  #inFlight = 0;
  #drained: (() => void)[] = [];
  #finished!: (answer: { reason?: string; code?: ErrorCode }) => void;
  readonly #finish = new Promise<{ reason?: string; code?: ErrorCode }>((resolve) =>
    this.#finished = resolve
  );

  private constructor(file: string, format: LogFormat) {
    this.file = file;
    this.format = format;
    // Formatting and writing happen on the writer's thread, until close() ends it.
    this.#worker = new Worker(new URL("./log_worker.ts", import.meta.url).href, {
      type: "module",
      name: `sockit log ${file}`,
    });
    this.#worker.postMessage({ open: file, format });
    this.#worker.onmessage = (
      e: MessageEvent<{ done?: number; closed?: true; reason?: string; code?: ErrorCode }>,
    ) => {
      const m = e.data;
      if (m.closed) return this.#finished(m);
      this.#inFlight -= m.done ?? 0;
      for (const bytes of this.#posted.shift() ?? []) release(bytes);
      if (this.#inFlight <= HIGH_WATER) { for (const wake of this.#drained.splice(0)) wake(); }
    };
    this.#worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#dead = true;
      this.#finished({ reason: e.message, code: "failed" });
      for (const wake of this.#drained.splice(0)) wake();
    };
  }

  /** Creates (or truncates) `file` and starts the clock; rejects with a one-line SockitError. */
  static async open(file: string, format: LogFormat = formatFor(file)): Promise<Logger> {
    try {
      (await Deno.open(file, { write: true, create: true, truncate: true })).close();
    } catch (error) {
      throw new SockitError(`Cannot log to "${file}": ${systemReason(error)}`, {
        code: systemErrorCode(error),
        cause: error,
      });
    }
    return new Logger(file, format);
  }

  /**
   * Records one fact about `socket` now. Returns a promise when the writer is far behind: a
   * data path that can wait (a pump, a writer) should await it. Data bytes are copied for the
   * writer unless they are stable (grammar/bytes.ts), which it reads where they are.
   */
  log(socket: string, fact: LogFact): Promise<void> | void {
    if (this.#closed || this.#dead) return;
    const ts = Math.round((performance.now() - this.#mono0) * 1000);
    let size = 0;
    if (fact.event === "data") {
      size = fact.bytes.length;
      if (isStable(fact.bytes)) {
        retain(fact.bytes);
        this.#held.push(fact.bytes);
      } else {
        const copy = fact.bytes.slice();
        this.#transfer.push(copy.buffer);
        fact = { ...fact, bytes: copy };
      }
    }
    this.#batch.push({ ...fact, socket, ts, wall: this.#wall0 + ts / 1000 });
    this.#timer ??= setTimeout(() => this.#post(), 0);
    this.#batchBytes += size;
    if (this.#batchBytes >= BATCH_BYTES) this.#post();
    if (this.#inFlight + this.#batchBytes > HIGH_WATER) {
      return new Promise((resolve) => this.#drained.push(resolve));
    }
  }

  /** Posts this turn's records to the writer. */
  #post(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#batch.length === 0 || this.#dead) return;
    const size = this.#batchBytes;
    this.#inFlight += size;
    this.#worker.postMessage({ records: this.#batch, size }, this.#transfer);
    this.#posted.push(this.#held);
    this.#held = [];
    this.#batch = [];
    this.#batchBytes = 0;
    this.#transfer = [];
  }

  /**
   * Follows every socket of `registry`, those open now (logged as `open` first) and those to
   * come, until {@link close} or the returned detach function.
   */
  attach(registry: SocketRegistry): () => void {
    if (registry.tap) {
      throw new SockitError("Cannot log: this shell already logs", { code: "exists" });
    }
    const opened = (s: NamedSocket) => {
      const i = s.info();
      this.log(s.name, {
        event: "open",
        transport: i.kind,
        role: i.role,
        local: i.local,
        remote: i.remote,
      });
    };
    const tap: SocketTap = {
      added: opened,
      data: (s, dir, bytes, peer, kind) =>
        this.log(s.name, {
          event: "data",
          dir,
          bytes,
          ...(peer === undefined ? {} : { peer }),
          ...(kind === undefined ? {} : { kind }),
        }),
      shutdown: (s) => this.log(s.name, { event: "shutdown" }),
    };
    for (const s of registry.all()) if (!s.closed) opened(s);
    registry.tap = tap;
    const unsubscribe = registry.subscribe((e) => this.#event(e));
    const detach = () => {
      if (registry.tap === tap) registry.tap = undefined;
      unsubscribe();
    };
    this.#detach.push(detach);
    return detach;
  }

  #event(e: SocketEvent): void {
    switch (e.type) {
      case "accepted":
        return void this.log(e.name, { event: "accepted", child: e.child, remote: e.remote });
      case "peer-closed":
        return void this.log(e.name, { event: "peer-closed" });
      case "error":
        return void this.log(
          e.name,
          e.code === "reset"
            ? { event: "reset", message: e.message }
            : { event: "error", message: e.message, code: e.code },
        );
      case "closed":
        return void this.log(
          e.name,
          e.reason ? { event: "closed", reason: e.reason } : { event: "closed" },
        );
    }
  }

  /** {@link close}: `await using logger = …` finishes the file at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Detaches from every registry, writes what is buffered and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const detach of this.#detach.splice(0)) detach();
    this.#closed = true;
    this.#post();
    this.#worker.postMessage({ close: true });
    const answer = await this.#finish;
    this.#worker.terminate();
    if (answer.reason !== undefined) {
      throw new SockitError(`Cannot log to "${this.file}": ${answer.reason}`, {
        code: answer.code ?? "failed",
      });
    }
  }
}
