/**
 * Receiving commands: {@linkcode readingCommand} builds one (`recv`, `recvexact`, `recvline`,
 * `recvuntil`, `expect`, and any command a program adds), and {@linkcode expectedRead} is their
 * replay mode: read exactly what a script expects, failing at the first differing byte.
 *
 * @example A custom receiving command, recorded and replayed like a built-in one
 * ```ts
 * import assert from "node:assert/strict";
 * import { readingCommand } from "./reading.ts";
 * import { Shell } from "../shell/shell.ts";
 *
 * const recvword = readingCommand({
 *   name: "recvword",
 *   usage: "recvword NAME",
 *   summary: "receive up to and including the next space",
 *   minArgs: 1,
 *   maxArgs: 1,
 *   action: "recvword from",
 *   script: { reads: "stream" },
 *   reader: () => (socket, opts) => socket.buffer.recvUntil(new Uint8Array([0x20]), opts),
 * });
 * await using shell = new Shell({ commands: [recvword] });
 * const srv = await shell.execute("listen tcp srv :0");
 * if (srv.kind !== "socket") throw new Error("expected a socket");
 * await shell.execute(`open tcp a ${srv.info.local}`);
 * await shell.execute('send a "one two"');
 * const got = await shell.execute("recvword srv.1");
 * assert.equal(got.kind === "data" && new TextDecoder().decode(got.data), "one ");
 * ```
 *
 * @module
 */

import { formatDuration } from "../grammar/duration.ts";
import { SockitError } from "../grammar/errors.ts";
import { preview } from "../grammar/render.ts";
import { frameOf } from "../protocols/framing.ts";
import type { ReadOptions, ReadResult } from "../sockets/receive_buffer.ts";
import type { ExpectedReadResult } from "../sockets/receiver.ts";
import { StreamSocket } from "../sockets/stream_socket.ts";
import type { Result } from "./result.ts";
import type { DisplayMode } from "../grammar/render.ts";
import type { Args, Command, Expected, OptionSpec } from "./types.ts";
import {
  dataResult,
  DISPLAY_OPTIONS,
  displayOf,
  END_OF_STREAM,
  readOptions,
  type ReceivingSocket,
  receivingSocket,
  TIMEOUT_OPTION,
} from "./_sockets.ts";

export { END_OF_STREAM };
export type { ReceivingSocket };

/** Reads from a socket once its arguments are understood. */
export type Reader = (socket: ReceivingSocket, opts: ReadOptions) => Promise<ReadResult>;

/** What differs between the receiving commands; the rest is {@link readingCommand}'s. */
export interface ReadingSpec extends Omit<Command, "run" | "options"> {
  /** How errors name the action: `recv from`, `expect on`. */
  action: string;
  /** Options beside `--timeout`, `--hex` and `--text`. */
  options?: OptionSpec[];
  /** Checks the arguments (errors come before the socket is looked up) and returns the read. */
  reader(args: Args, name: string): Reader | Promise<Reader>;
  /** The most bytes one read returns (a longer datagram is truncated); default: no limit. */
  max?(args: Args, socket: ReceivingSocket): number;
}

/**
 * A receiving command (`recv`, `recvexact`, `recvline`, `recvuntil`, `expect`): the first
 * argument names the socket; every one takes `--timeout`, `--hex` and `--text`, reads with one
 * deadline and turns anything but success into a one-line error that keeps the buffered bytes.
 * Its observation in a script is the received bytes (`script.reads` defaults to `any`); with
 * `script.expects`, replay runs it in replay mode ({@linkcode expectedRead}).
 */
export function readingCommand(spec: ReadingSpec): Command {
  const { action, reader, max, options = [], ...command } = spec;
  return {
    ...command,
    script: { reads: "any", ...command.script },
    options: [TIMEOUT_OPTION, ...DISPLAY_OPTIONS, ...options],
    async run(ctx, args) {
      const name = args.positional[0].text;
      const read = await reader(args, name);
      const opts = readOptions(ctx, args);
      await ctx.registry.arrival(name, opts); // a child that is on its way (a UDP sender's first)
      const socket = receivingSocket(ctx, name, action);
      const expected = command.script?.expects ? ctx.expect : undefined;
      const replayed = expected && expectedRead(socket, expected, opts, max?.(args, socket));
      if (replayed) {
        return expectedResult(socket, action, expected, await replayed, opts, displayOf(args));
      }
      const data = await read(socket, opts);
      return dataResult(
        name,
        action,
        data,
        opts.timeout,
        displayOf(args),
        args.options.all === true,
      );
    },
  };
}

/**
 * The replay mode of a receiving command: reads exactly what the script expects, comparing as
 * bytes arrive, with the command's one deadline. On a framed socket (`frame NAME …`) the
 * expected bytes are one message; on datagrams, one whole datagram. A regex is matched from the
 * first buffered byte of a raw stream. Undefined where replay mode does not apply (a regex on a
 * framed stream or on datagrams, and expected bytes that would fill a datagram read of at most
 * `max` bytes, which truncation decides: the command then reads as usual and replay compares
 * after).
 */
export function expectedRead(
  socket: ReceivingSocket,
  expected: Expected,
  opts: ReadOptions,
  max = Infinity,
): Promise<ExpectedReadResult> | undefined {
  const frame = frameOf(socket);
  const stream = socket instanceof StreamSocket;
  if (!stream && "bytes" in expected && expected.bytes.length >= max) return undefined;
  if ("regex" in expected) {
    if (frame || !stream) return undefined;
    const re = expected.regex;
    return socket.buffer.recvMatch(
      new RegExp(re.source, re.flags.replace(/[gy]/g, "") + "y"),
      opts,
    );
  }
  if (!frame) return socket.buffer.recvExpected(expected.bytes, opts);
  const wire = frame.encode(expected.bytes);
  return socket.buffer.recvExpected(wire, opts).then((read) =>
    read.status === "ok" ? { ...read, data: expected.bytes } : read
  );
}

/**
 * A replayed read that did not receive what the script expects: the bytes differ (code
 * `mismatch`), or they did not all come (`timeout`, `eof`, `cancelled`, `failed`). Carries the
 * expected bytes (on the wire, framing included) and what was buffered, which stays buffered.
 */
export class ExpectedReadError extends SockitError {
  /** The error's class name. */
  override name = "ExpectedReadError";
  /** What the script expects, as the bytes on the wire (empty for a regex). */
  readonly expected: Uint8Array;
  /** What is buffered instead (not consumed). */
  readonly actual: Uint8Array;
  /** For a mismatch: the index of the first differing byte. */
  readonly at?: number;
  /** For a datagram: who sent the one that differs. */
  readonly from?: string;
  /** A one-line message, its code, and the bytes expected and buffered. */
  constructor(
    message: string,
    code: SockitError["code"],
    expected: Uint8Array,
    actual: Uint8Array,
    detail: { at?: number; from?: string } = {},
  ) {
    super(message, { code });
    this.expected = expected;
    this.actual = actual;
    this.at = detail.at;
    this.from = detail.from;
  }
}

/** A replayed read's result, or the {@linkcode ExpectedReadError} that says what differed. */
export function expectedResult(
  socket: ReceivingSocket,
  action: string,
  expected: Expected,
  read: ExpectedReadResult,
  opts: { timeout: number },
  display?: DisplayMode,
): Result {
  const name = socket.name;
  if (read.status !== "mismatch" && (read.status === "ok" || "regex" in expected)) {
    return dataResult(name, action, read as ReadResult, opts.timeout, display);
  }
  const frame = frameOf(socket);
  const wanted = "regex" in expected
    ? new Uint8Array(0)
    : frame
    ? frame.encode(expected.bytes)
    : expected.bytes;
  const kept = read.data.length === 0
    ? "nothing buffered"
    : `${read.data.length} bytes kept in buffer: ${preview(read.data)}`;
  const want = `waiting for ${wanted.length} bytes`;
  const fail = (why: string, code: SockitError["code"]): never => {
    throw new ExpectedReadError(
      `Cannot ${action} "${name}": ${why} (${kept})`,
      code,
      wanted,
      read.data,
      { at: read.at, from: read.from },
    );
  };
  switch (read.status) {
    case "mismatch":
      return fail(`received different bytes at byte ${read.at}`, "mismatch");
    case "timeout":
      return fail(`timed out after ${formatDuration(opts.timeout)} ${want}`, "timeout");
    case "eof":
      return fail(`${END_OF_STREAM} ${want}`, "eof");
    case "cancelled":
      return fail(`cancelled ${want}`, "cancelled");
    default:
      return fail(`${read.error?.message ?? "read failed"} ${want}`, "failed");
  }
}
