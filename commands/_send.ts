import { plural } from "../grammar/plural.ts";
import { concatBytes } from "../grammar/bytes.ts";
import { SockitError } from "../grammar/errors.ts";
import type { NamedSocket } from "../sockets/named_socket.ts";
import { StreamSocket } from "../sockets/stream_socket.ts";
import { parsePayload, type PayloadPart } from "../grammar/payload.ts";
import { frameOf } from "../protocols/framing.ts";
import type { Result } from "./result.ts";
import type { Args, CommandContext } from "./types.ts";

/** Chunk size for streaming files: large writes move bulk data fastest on loopback. */
export const FILE_CHUNK = 1024 * 1024;

/** Anything `send` can write to: stream sockets, and datagram sockets that add themselves. */
export interface Sendable {
  write(data: Uint8Array): Promise<number>;
  writeFrom?(source: AsyncIterable<Uint8Array>): Promise<number>;
}

/** Reads a file in large chunks from one reused buffer, so memory stays bounded. */
export async function* fileChunks(path: string, chunk = FILE_CHUNK): AsyncGenerator<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "not found" : (error as Error).message;
    throw new SockitError(`Cannot read file "${path}": ${why}`);
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
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  let done = 0;
  for (const part of parts) {
    if (part.kind === "bytes") {
      yield part.bytes;
      done += part.bytes.length;
    } else {
      for await (const chunk of fileChunks(part.path)) {
        if (signal?.aborted) {
          throw new SockitError(`Cannot send "${part.path}": cancelled after ${done} bytes`);
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
      reject(new SockitError(message));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Checks the files a payload names exist before anything is sent; returns the total size. */
async function checkFiles(parts: PayloadPart[]): Promise<number> {
  let total = 0;
  for (const part of parts) {
    if (part.kind === "bytes") total += part.bytes.length;
    if (part.kind !== "file") continue;
    try {
      const stat = await Deno.stat(part.path);
      if (!stat.isFile) throw new SockitError(`Cannot read file "${part.path}": not a file`);
      total += stat.size;
    } catch (error) {
      if (error instanceof SockitError) throw error;
      const why = error instanceof Deno.errors.NotFound ? "not found" : (error as Error).message;
      throw new SockitError(`Cannot read file "${part.path}": ${why}`);
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
  const parts = parsePayload(payloadTokens);
  const raw = [...parts];
  if (suffix) parts.push({ kind: "bytes", bytes: suffix });
  const size = await checkFiles(parts);
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
  return { kind: "message", text: `sent ${plural(total, "byte")} to ${names}` };
}

/** Whether a socket is a stream (for commands that only make sense on streams). */
export function isStream(socket: NamedSocket): socket is StreamSocket {
  return socket instanceof StreamSocket;
}
