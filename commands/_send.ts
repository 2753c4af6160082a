import { showValue } from "../grammar/show_value.ts";
import { concatBytes } from "../grammar/bytes.ts";
import { errorCode, SockitError } from "../grammar/errors.ts";
import type { NamedSocket } from "../sockets/named_socket.ts";
import { StreamSocket } from "../sockets/stream_socket.ts";
import { parsePayload, type PayloadPart } from "../grammar/payload.ts";
import { frameOf } from "../protocols/framing.ts";
import type { Result } from "./result.ts";
import type { WriteOptions } from "../sockets/stream_writer.ts";
import type { Args, CommandContext, OptionSpec } from "./types.ts";

/** Chunk size for streaming files: large writes move bulk data fastest on loopback. */
export const FILE_CHUNK = 1024 * 1024;

/**
 * Anything `send` can write to: stream sockets, and datagram sockets that add themselves. A
 * stream honours `options` (signal, timeout) and counts the bytes sent in its errors.
 */
export interface Sendable {
  write(data: Uint8Array, options?: WriteOptions): Promise<number>;
  writeFrom?(source: AsyncIterable<Uint8Array>, options?: WriteOptions): Promise<number>;
}

/** Reads a file in large chunks from one reused buffer, so memory stays bounded. */
export async function* fileChunks(path: string, chunk = FILE_CHUNK): AsyncGenerator<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "not found" : (error as Error).message;
    throw new SockitError(`Cannot read file ${showValue(path)}: ${why}`);
  }
  using _file = file;
  const buf = new Uint8Array(chunk);
  while (true) {
    let filled = 0;
    while (filled < buf.length) {
      const n = await file.read(buf.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    if (filled === 0) return;
    yield buf.subarray(0, filled);
    if (filled < buf.length) return;
  }
}

async function* partChunks(
  parts: PayloadPart[],
  progress?: (done: number) => void,
): AsyncGenerator<Uint8Array> {
  let done = 0;
  for (const part of parts) {
    if (part.kind === "bytes") {
      yield part.bytes;
      done += part.bytes.length;
    } else {
      for await (const chunk of fileChunks(part.path)) {
        yield chunk;
        done += chunk.length;
        progress?.(done);
      }
    }
  }
}

/** The socket as something `send` can write to, or a one-line error. */
export function sendable(socket: NamedSocket, action: string): Sendable {
  if (socket.closed) throw new SockitError(`Cannot ${action} "${socket.name}": socket is closed`);
  const s = socket as unknown as Partial<Sendable>;
  if (typeof s.write !== "function") {
    throw new SockitError(`Cannot ${action} "${socket.name}": it is a ${socket.info().role}`, {
      hint: socket.info().role === "listener"
        ? `send to ${socket.name}.1, or ${socket.name}.*`
        : undefined,
    });
  }
  return s as Sendable;
}

/** Checks the files a payload names exist before anything is sent; returns the total size. */
async function checkFiles(parts: PayloadPart[]): Promise<number> {
  let total = 0;
  for (const part of parts) {
    if (part.kind === "bytes") total += part.bytes.length;
    if (part.kind !== "file") continue;
    try {
      const stat = await Deno.stat(part.path);
      if (!stat.isFile) {
        throw new SockitError(`Cannot read file ${showValue(part.path)}: not a file`);
      }
      total += stat.size;
    } catch (error) {
      if (error instanceof SockitError) throw error;
      const why = error instanceof Deno.errors.NotFound ? "not found" : (error as Error).message;
      throw new SockitError(`Cannot read file ${showValue(part.path)}: ${why}`);
    }
  }
  return total;
}

/** The whole payload as one message (for a framed socket, whose frame needs its length). */
async function wholeMessage(parts: PayloadPart[]): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of partChunks(parts)) chunks.push(chunk.slice());
  return concatBytes(chunks);
}

/** The `--timeout` option of `send` and `sendline`. */
export const SEND_TIMEOUT: OptionSpec = {
  name: "timeout",
  type: "duration",
  summary: "--timeout DURATION  give up when the peer has not taken every byte by then " +
    "(default: set send-timeout, else wait; Ctrl-C always ends a send)",
};

/**
 * The shared body of `send` and `sendline`: payload after the target, optional suffix. A
 * framed socket (`frame NAME …`) gets the payload as one framed message, without the suffix.
 *
 * Every send ends on Ctrl-C (`ctx.signal`), at its deadline (`--timeout`, else the
 * `send-timeout` setting) or when the socket is closed, with an error that counts the bytes sent.
 * One deadline covers the whole command. A glob (`send c* …`) goes on past a socket that fails
 * (reset, closed) and stops at a cancel or the deadline; its error names every socket reached
 * and not reached.
 */
export async function sendPayload(
  ctx: CommandContext,
  args: Args,
  suffix: Uint8Array | undefined,
): Promise<Result> {
  const [target, ...payloadTokens] = args.positional;
  const sockets = ctx.registry.match(target.text, "send to");
  const parts = parsePayload(payloadTokens);
  const raw = [...parts];
  if (suffix) parts.push({ kind: "bytes", bytes: suffix });
  const size = await checkFiles(parts);
  const hasFile = parts.some((p) => p.kind === "file");
  const progress = ctx.progress && hasFile
    ? (done: number) => ctx.progress!(done, size)
    : undefined;
  const timeout = (args.options.timeout as number | undefined) ?? ctx.settings.sendTimeout;
  const deadline = timeout === undefined ? undefined : Date.now() + timeout;
  const options = (total: number): WriteOptions => ({
    signal: ctx.signal,
    timeout: deadline === undefined ? undefined : Math.max(0, deadline - Date.now()),
    total,
  });
  const sendTo = async (socket: Sendable): Promise<number> => {
    const frame = frameOf(socket as unknown as NamedSocket);
    if (frame) {
      const message = frame.encode(await wholeMessage(raw));
      return await socket.write(message, options(message.length));
    }
    if (hasFile && socket.writeFrom) {
      return await socket.writeFrom(partChunks(parts, progress), options(size));
    }
    // One write: on a datagram socket one send is one datagram, whatever its parts.
    const chunks: Uint8Array[] = [];
    for await (const chunk of partChunks(parts)) chunks.push(hasFile ? chunk.slice() : chunk);
    return await socket.write(concatBytes(chunks), options(size));
  };
  if (sockets.length === 1) {
    const total = await sendTo(sendable(sockets[0], "send to"));
    return { kind: "message", text: `sent ${total} bytes to ${sockets[0].name}` };
  }
  let total = 0;
  const reached: string[] = [];
  const failed: { name: string; error: unknown }[] = [];
  for (const [i, socket] of sockets.entries()) {
    try {
      total = await sendTo(sendable(socket, "send to"));
      reached.push(socket.name);
    } catch (error) {
      failed.push({ name: socket.name, error });
      const code = errorCode(error);
      if (code === "cancelled" || code === "timeout") {
        const rest = sockets.slice(i + 1).map((s) => s.name);
        throw globError(target.text, sockets.length, reached, failed, rest);
      }
    }
  }
  if (failed.length) throw globError(target.text, sockets.length, reached, failed, []);
  return {
    kind: "message",
    text: `sent ${total} bytes to ${sockets.length} sockets (${target.text})`,
  };
}

/** One line naming the sockets a glob send reached, the one(s) that failed and why, the rest. */
function globError(
  pattern: string,
  count: number,
  reached: string[],
  failed: { name: string; error: unknown }[],
  skipped: string[],
): SockitError {
  const why = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    return message.replace(/^Cannot send to "[^"]*": /, "");
  };
  const list = (names: string[]) =>
    names.length > 8
      ? `${names.slice(0, 8).join(", ")} and ${names.length - 8} more`
      : names.join(", ");
  const missed = [
    ...failed.map((f) => `${f.name} (${why(f.error)})`),
  ];
  if (skipped.length) missed.push(`${list(skipped)} (not tried)`);
  const parts = [
    `reached ${reached.length ? list(reached) : "none"} of ${count}`,
    `not reached: ${missed.length > 8 ? list(missed) : missed.join(", ")}`,
  ];
  return new SockitError(`Cannot send to ${showValue(pattern)}: ${parts.join("; ")}`, {
    code: errorCode(failed[failed.length - 1].error),
    cause: failed[failed.length - 1].error,
  });
}

/** Whether a socket is a stream (for commands that only make sense on streams). */
export function isStream(socket: NamedSocket): socket is StreamSocket {
  return socket instanceof StreamSocket;
}
