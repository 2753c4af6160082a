import { concatBytes } from "../grammar/bytes.ts";
import { SockitError } from "../grammar/errors.ts";
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
import type { Args, CommandContext, OptionSpec } from "./types.ts";

/** Chunk size for streaming files: large writes move bulk data fastest on loopback. */
export const FILE_CHUNK = 1024 * 1024;

/** Anything `send` can write to: stream sockets, and datagram sockets that add themselves. */
export interface Sendable {
  write(data: Uint8Array): Promise<number>;
  writeFrom?(source: AsyncIterable<Uint8Array>): Promise<number>;
}

/** `--max BYTES` of send and sendline: how much of each `@file` to read. */
export const MAX_OPTION: OptionSpec = {
  name: "max",
  type: "integer",
  summary: "--max BYTES  send at most BYTES of each @file (for @-, FIFOs, @/dev/urandom)",
};

/** The payload with each `@path` opened (sizes known, nothing read from regular files yet). */
type OpenPart = { kind: "bytes"; bytes: Uint8Array } | { kind: "file"; source: PayloadSource };

async function* partChunks(
  parts: OpenPart[],
  progress?: (done: number) => void,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  let done = 0;
  for (const part of parts) {
    if (part.kind === "bytes") {
      yield part.bytes;
      done += part.bytes.length;
    } else {
      for await (const chunk of part.source.chunks(FILE_CHUNK)) {
        if (signal?.aborted) {
          throw new SockitError(
            `Cannot send "${part.source.path}": cancelled after ${done} bytes`,
            {
              code: "cancelled",
            },
          );
        }
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

/**
 * Resolves as `work` does, or rejects at once when `signal` aborts: a write blocked on a peer
 * that does not read cannot be interrupted, so the shell stops waiting for it (it finishes or
 * fails in the background, and the socket's write lock keeps later sends behind it).
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal, message: string): Promise<T> {
  if (signal.aborted) work.catch(() => {});
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => {});
      reject(new SockitError(message, { code: "cancelled" }));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
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

/**
 * The shared body of `send` and `sendline`: payload after the target, optional suffix. A
 * framed socket (`frame NAME …`) gets the payload as one framed message, without the suffix.
 */
export async function sendPayload(
  ctx: CommandContext,
  args: Args,
  suffix: Uint8Array | undefined,
): Promise<Result> {
  const [target, ...payloadTokens] = args.positional;
  const targets = ctx.registry.match(target.text, "send to").map((s) => sendable(s, "send to"));
  const [raw, rawSize] = await openParts(
    parsePayload(payloadTokens),
    args.options.max as number | undefined,
  );
  const parts: OpenPart[] = suffix ? [...raw, { kind: "bytes", bytes: suffix }] : raw;
  const size = rawSize + (suffix?.length ?? 0);
  const hasFile = parts.some((p) => p.kind === "file");
  const progress = ctx.progress && hasFile
    ? (done: number) => ctx.progress!(done, size)
    : undefined;
  let total = 0;
  for (const socket of targets) {
    const frame = frameOf(socket as unknown as NamedSocket);
    if (frame) total = await socket.write(frame.encode(await wholeMessage(raw)));
    else if (hasFile && socket.writeFrom) {
      total = await untilAborted(
        socket.writeFrom(partChunks(parts, progress, ctx.signal)),
        ctx.signal,
        `Cannot send to "${target.text}": cancelled`,
      );
    } else {
      // One write: on a datagram socket one send is one datagram, whatever its parts.
      const chunks: Uint8Array[] = [];
      for await (const chunk of partChunks(parts)) chunks.push(hasFile ? chunk.slice() : chunk);
      total = await socket.write(concatBytes(chunks));
    }
  }
  const names = targets.length === 1
    ? (targets[0] as unknown as NamedSocket).name
    : `${targets.length} sockets (${target.text})`;
  return { kind: "message", text: `sent ${total} bytes to ${names}` };
}

/** Whether a socket is a stream (for commands that only make sense on streams). */
export function isStream(socket: NamedSocket): socket is StreamSocket {
  return socket instanceof StreamSocket;
}
