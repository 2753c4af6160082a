/**
 * Reads that pass bytes on as they arrive instead of holding them: the one chunk loop behind
 * `recvall`, `recvrepeat` and `recvexact` when they write `--to FILE` (and `recvrepeat` on the
 * screen), and the file sink `--to` writes through. Memory stays bounded by the receive buffer's
 * cap whatever the size.
 *
 * @module
 */

import { SockitError, systemErrorCode, systemReason } from "../grammar/errors.ts";
import type { ReadOptions, ReadResult } from "../sockets/receive_buffer.ts";
import type { Receiver } from "../sockets/receiver.ts";

/** Where streamed bytes go; resolves once the chunk is written. */
export type Sink = (chunk: Uint8Array) => Promise<void>;

/** When a chunk loop is done. */
export type Until =
  /** At end of stream (`recvall`). */
  | { eof: true }
  /** When no byte arrived for `quiet` ms, or at end of stream (`recvrepeat`). */
  | { quiet: number }
  /** After exactly `bytes` bytes (`recvexact --to`). */
  | { bytes: number };

/** What a chunk loop did: its status (as a read's) and how many bytes it passed on. */
export interface Pumped {
  /** `ok` when `until` was reached; else why it stopped (timeout, eof, cancelled, error). */
  status: ReadResult["status"];
  /** Bytes handed to the sink. */
  count: number;
  /** For status error: why. */
  error?: Error;
}

/**
 * Takes bytes off `buffer` as they arrive and hands each chunk to `sink`, until `until` is met,
 * the overall deadline (`opts.timeout`, counted from the call) passes or `opts.signal` aborts.
 * Bytes still buffered when it stops stay buffered. A `quiet` loop ends `ok` when the socket is
 * quiet (or the stream ends); being cancelled ends it `cancelled` after what it passed on.
 */
export async function pump(
  buffer: Receiver,
  sink: Sink,
  until: Until,
  opts: ReadOptions,
): Promise<Pumped> {
  const deadline = opts.timeout === undefined ? Infinity : performance.now() + opts.timeout;
  let count = 0;
  while (true) {
    const left = "bytes" in until ? until.bytes - count : Infinity;
    if (left <= 0) return { status: "ok", count };
    const remaining = Math.max(0, deadline - performance.now());
    const quiet = "quiet" in until && until.quiet < remaining;
    const timeout = quiet ? (until as { quiet: number }).quiet : remaining;
    const read = await buffer.recv(left, {
      timeout: timeout === Infinity ? undefined : timeout,
      signal: opts.signal,
    });
    if (read.status === "ok") {
      count += read.data.length;
      await sink(read.data);
      continue;
    }
    if (read.status === "timeout" && quiet) return { status: "ok", count };
    if (read.status === "eof" && !("bytes" in until)) return { status: "ok", count };
    return { status: read.status, count, error: read.error };
  }
}

/**
 * Opens FILE for `--to` (created or truncated) before anything is read, so a bad path consumes
 * nothing; the sink writes each chunk whole. `action` names the command in errors.
 */
export async function fileSink(
  path: string,
  action: string,
  name: string,
): Promise<{ sink: Sink; close(): void }> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (error) {
    throw new SockitError(
      `Cannot ${action} "${name}": cannot write ${path}: ${systemReason(error)}`,
      { code: systemErrorCode(error), cause: error },
    );
  }
  const sink: Sink = async (chunk) => {
    try {
      for (let off = 0; off < chunk.length;) off += await file.write(chunk.subarray(off));
    } catch (error) {
      throw new SockitError(
        `Cannot ${action} "${name}": writing ${path} failed: ${systemReason(error)}`,
        { code: systemErrorCode(error), cause: error },
      );
    }
  };
  return {
    sink,
    close() {
      try {
        file.close();
      } catch { /* closed */ }
    },
  };
}
