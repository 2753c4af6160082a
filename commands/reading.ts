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
import type { ReadOptions, ReadResult, ReceiveBuffer } from "../sockets/receive_buffer.ts";
import type { ExpectedReadResult } from "../sockets/receiver.ts";
import { StreamSocket } from "../sockets/stream_socket.ts";
import type { Matched, Result } from "./result.ts";
import { fileSink, type Pumped, type Sink } from "./_stream.ts";
import type { DisplayMode } from "../grammar/render.ts";
import type { Args, Command, CommandContext, Expected, OptionSpec } from "./types.ts";
import {
  dataResult,
  DISPLAY_OPTIONS,
  displayOf,
  END_OF_STREAM,
  readFailure,
  readOptions,
  type ReceivingSocket,
  receivingSocket,
  TIMEOUT_OPTION,
} from "./_sockets.ts";

export { END_OF_STREAM };
export type { ReceivingSocket };

/**
 * Reads from a socket once its arguments are understood. A read may carry `matched` and
 * `before` (`expect`'s alternatives), which the result passes on.
 */
export type Reader = (
  socket: ReceivingSocket,
  opts: ReadOptions,
) => Promise<ReadResult & { matched?: Matched; before?: Uint8Array }>;

/**
 * Streams what a read takes to `sink` as it arrives, for `--to FILE` with bounded memory
 * (`recvall`, `recvrepeat`, `recvexact`); see {@linkcode pump}.
 */
export type Streamer = (socket: ReceivingSocket, opts: ReadOptions, sink: Sink) => Promise<Pumped>;

/** `--to FILE`, on every receiving command. */
export const TO_OPTION: OptionSpec = {
  name: "to",
  type: "string",
  summary: "--to FILE  write the bytes to FILE instead of showing them; says how many",
};

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
  /**
   * How `--to FILE` streams the bytes as they arrive (bounded memory). Without it, `--to` writes
   * what the read returns once it returns (a delimiter or regex read holds at most the read
   * limit, 1 GiB, in the buffer until it matches).
   */
  stream?(args: Args, name: string): Streamer | Promise<Streamer>;
  /** How many bytes a streamed `--to FILE` read will take, when known (for its progress). */
  total?(args: Args): number;
  /** Runs once the read succeeded, before its result returns (`sendafter` sends here). */
  after?(ctx: CommandContext, args: Args): Promise<unknown>;
}

/**
 * A receiving command (`recv`, `recvexact`, `recvline`, `recvuntil`, `expect`): the first
 * argument names the socket; every one takes `--timeout`, `--hex` and `--text`, reads with one
 * deadline and turns anything but success into a one-line error that keeps the buffered bytes.
 * Its observation in a script is the received bytes (`script.reads` defaults to `any`); with
 * `script.expects`, replay runs it in replay mode ({@linkcode expectedRead}).
 */
export function readingCommand(spec: ReadingSpec): Command {
  const { action, reader, max, stream, total, after, options = [], ...command } = spec;
  const script = command.script ?? {};
  return {
    ...command,
    script: { reads: "any", ...script, paths: [...(script.paths ?? []), "to"] },
    options: [TIMEOUT_OPTION, ...DISPLAY_OPTIONS, TO_OPTION, ...options],
    async run(ctx, args) {
      const name = args.positional[0].text;
      const to = args.options.to as string | undefined;
      if (to !== undefined) return await readToFile(ctx, args, name, to);
      const read = await reader(args, name);
      const opts = readOptions(ctx, args);
      await ctx.registry.arrival(name, opts); // a child that is on its way (a UDP sender's first)
      const socket = receivingSocket(ctx, name, action);
      const expected = command.script?.expects ? ctx.expect : undefined;
      const replayed = expected && expectedRead(socket, expected, opts, max?.(args, socket));
      if (replayed) {
        const got = await replayed;
        if (got.status === "ok") capture(ctx, got as ReadResult);
        return expectedResult(socket, action, expected, got, opts, displayOf(args));
      }
      const got = await read(socket, opts);
      if (got.status === "ok") capture(ctx, got);
      const result = dataResult(
        name,
        action,
        got,
        opts.timeout,
        displayOf(args),
        args.options.all === true,
      );
      await after?.(ctx, args);
      return result;
    },
  };

  /** `--to FILE`: the bytes go to the file, streamed when the command can; says how many. */
  async function readToFile(ctx: CommandContext, args: Args, name: string, to: string) {
    const streamer = stream ? await stream(args, name) : undefined;
    const read = streamer ? undefined : await reader(args, name);
    const opts = readOptions(ctx, args);
    await ctx.registry.arrival(name, opts);
    const socket = receivingSocket(ctx, name, action);
    const file = await fileSink(to, action, name);
    try {
      let count: number;
      if (streamer) {
        const done = await streamer(
          socket,
          opts,
          reporting(ctx, file.sink, total?.(args) ?? 0, `receiving ${name} → ${to}`),
        );
        count = done.count;
        if (done.status !== "ok") {
          const kept: ReadResult = { status: done.status, error: done.error, data: peekOf(socket) };
          throw readFailure(name, action, kept, opts.timeout, `; ${count} bytes written to ${to}`);
        }
      } else {
        const got = await read!(socket, opts);
        if (got.status !== "ok") throw readFailure(name, action, got, opts.timeout);
        capture(ctx, got);
        await file.sink(got.data);
        count = got.data.length;
      }
      await after?.(ctx, args);
      return { kind: "message", text: `wrote ${count} bytes from ${name} to ${to}` } as Result;
    } finally {
      file.close();
    }
  }
}

/** `sink`, reporting the bytes it took so far to `ctx.progress` (when the shell draws one). */
function reporting(ctx: CommandContext, sink: Sink, total: number, label: string): Sink {
  const progress = ctx.progress;
  if (!progress) return sink;
  let done = 0;
  return async (chunk) => {
    await sink(chunk);
    done += chunk.length;
    progress(done, total, label);
  };
}

/** What a stream still buffers (for an error); datagrams show nothing. */
function peekOf(socket: ReceivingSocket): Uint8Array {
  const buffer = socket.buffer as Partial<ReceiveBuffer>;
  return typeof buffer.peek === "function" ? buffer.peek() : new Uint8Array(0);
}

/** A regex read's named groups become the session's variables (`${id}` in later lines). */
function capture(ctx: CommandContext, read: ReadResult): void {
  for (const [k, v] of Object.entries(read.match?.groups ?? {})) ctx.variables.set(k, v ?? "");
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
