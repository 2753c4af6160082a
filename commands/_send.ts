import { showValue } from "../grammar/show_value.ts";
import { plural } from "../grammar/plural.ts";
import { concatBytes } from "../grammar/bytes.ts";
import { errorCode, SockitError } from "../grammar/errors.ts";
import type { NamedSocket } from "../sockets/named_socket.ts";
import { StreamSocket } from "../sockets/stream_socket.ts";
import {
  openSource,
  parsePayload,
  type PayloadPart,
  type PayloadSource,
} from "../grammar/payload.ts";
import { frameOf } from "../protocols/framing.ts";
import type { Result } from "./result.ts";
import { wrongKind } from "./_sockets.ts";
import type { WriteOptions } from "../sockets/stream_writer.ts";
import type { Args, CommandContext, OptionSpec } from "./types.ts";

/** The largest UDP payload (over IPv6; IPv4's is 20 bytes less, which the socket reports). */
const MAX_DATAGRAM = 65527;

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

/** `--max BYTES` of send and sendline: how much of each `@file` to read. */
export const MAX_OPTION: OptionSpec = {
  name: "max",
  type: "integer",
  summary: "--max BYTES  send at most BYTES of each @file (for @-, FIFOs, @/dev/urandom)",
};

/** The payload with each `@path` opened (sizes known, nothing read from regular files yet). */
type OpenPart = { kind: "bytes"; bytes: Uint8Array } | { kind: "file"; source: PayloadSource };

/**
 * The payload's chunks; `stable` (the socket is logged): each file chunk in a buffer of its own,
 * which the log writer reads without a copy.
 */
async function* partChunks(
  parts: OpenPart[],
  progress?: (done: number) => void,
  stable = false,
): AsyncGenerator<Uint8Array> {
  let done = 0;
  for (const part of parts) {
    if (part.kind === "bytes") {
      yield part.bytes;
      done += part.bytes.length;
    } else {
      for await (const chunk of part.source.chunks(FILE_CHUNK, stable)) {
        yield chunk;
        done += chunk.length;
        progress?.(done);
      }
    }
  }
}

/** The socket as something `send` can write to, or a one-line error. */
export function sendable(socket: NamedSocket, action: string): Sendable {
  if (socket.closed) {
    throw new SockitError(`Cannot ${action} "${socket.name}": socket is closed`, {
      code: "closed",
    });
  }
  const s = socket as unknown as Partial<Sendable>;
  if (typeof s.write !== "function") throw wrongKind(socket, action, "send");
  return s as Sendable;
}

/** Opens every `@path` before anything is sent (a missing file sends nothing); the total size. */
async function openParts(parts: PayloadPart[], max?: number): Promise<[OpenPart[], number]> {
  const open: OpenPart[] = [];
  let total = 0;
  for (const part of parts) {
    const o: OpenPart = part.kind === "bytes"
      ? part
      : { kind: "file", source: await openSource(part.path, max) };
    total += o.kind === "bytes" ? o.bytes.length : o.source.size;
    open.push(o);
  }
  return [open, total];
}

/** The whole payload as one message (for a framed socket, whose frame needs its length). */
async function wholeMessage(parts: OpenPart[]): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of partChunks(parts)) chunks.push(chunk.slice());
  return concatBytes(chunks);
}

/** `--binary` of `send`: on a WebSocket, a binary message instead of a text one. */
export const BINARY_OPTION: OptionSpec = {
  name: "binary",
  type: "flag",
  summary: "--binary  ws: send a binary message (default: text, which must be UTF-8)",
};

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
  const [raw, rawSize] = await openParts(
    parsePayload(payloadTokens),
    args.options.max as number | undefined,
  );
  const parts: OpenPart[] = suffix ? [...raw, { kind: "bytes", bytes: suffix }] : raw;
  const size = rawSize + (suffix?.length ?? 0);
  const hasFile = parts.some((p) => p.kind === "file");
  const label = `sending ${
    parts.flatMap((p) => p.kind === "file" ? [`@${p.source.path}`] : []).join(" ")
  }`;
  const progress = ctx.progress && hasFile
    ? (done: number) => ctx.progress!(done, size, label)
    : undefined;
  const timeout = (args.options.timeout as number | undefined) ?? ctx.settings.sendTimeout;
  const deadline = timeout === undefined ? undefined : Date.now() + timeout;
  const binary = args.options.binary === true ? { binary: true } : {};
  const options = (total: number): WriteOptions => ({
    signal: ctx.signal,
    timeout: deadline === undefined ? undefined : Math.max(0, deadline - Date.now()),
    stated: timeout,
    total,
    ...binary,
  });
  const sendTo = async (socket: Sendable): Promise<number> => {
    const named = socket as unknown as NamedSocket;
    const frame = frameOf(named);
    // A framed message and a datagram are built whole: refuse one too large before reading it.
    const message = (socket as { maxMessage?: number }).maxMessage; // a WebSocket's limit
    const limit = frame
      ? frame.maxMessage
      : message ?? (socket.writeFrom ? Infinity : MAX_DATAGRAM);
    if (size > limit) {
      const what = frame
        ? `the ${frame.name} frame's limit`
        : message
        ? `the ${named.kind} message limit`
        : "the largest UDP datagram";
      throw new SockitError(
        `Cannot send to "${named.name}": ${size} bytes is over ${what} of ${limit} bytes`,
        { code: "too-large", hint: frame ? "frame NAME none sends raw bytes" : undefined },
      );
    }
    if (frame) {
      const message = frame.encode(await wholeMessage(raw));
      return await socket.write(message, options(message.length));
    }
    if (hasFile && socket.writeFrom) {
      const logged = named.tap !== undefined;
      return await socket.writeFrom(partChunks(parts, progress, logged), options(size));
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
    text: `sent ${plural(total, "byte")} to ${sockets.length} sockets (${target.text})`,
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
