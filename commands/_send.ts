import { SockitError } from "../sockets/errors.ts";
import type { NamedSocket } from "../sockets/named_socket.ts";
import { StreamSocket } from "../sockets/stream_socket.ts";
import { parsePayload, type PayloadPart } from "../shell/payload.ts";
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

async function* partChunks(parts: PayloadPart[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    if (part.kind === "bytes") yield part.bytes;
    else yield* fileChunks(part.path);
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

/** Checks the files a payload names exist before anything is sent. */
async function checkFiles(parts: PayloadPart[]): Promise<void> {
  for (const part of parts) {
    if (part.kind !== "file") continue;
    try {
      const stat = await Deno.stat(part.path);
      if (!stat.isFile) throw new SockitError(`Cannot read file "${part.path}": not a file`);
    } catch (error) {
      if (error instanceof SockitError) throw error;
      const why = error instanceof Deno.errors.NotFound ? "not found" : (error as Error).message;
      throw new SockitError(`Cannot read file "${part.path}": ${why}`);
    }
  }
}

/** The whole payload as one message (for a framed socket, whose frame needs its length). */
async function wholeMessage(parts: PayloadPart[]): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of partChunks(parts)) chunks.push(chunk.slice());
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
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
  await checkFiles(parts);
  const hasFile = parts.some((p) => p.kind === "file");
  let total = 0;
  for (const socket of targets) {
    const frame = frameOf(socket as unknown as NamedSocket);
    if (frame) total = await socket.write(frame.encode(await wholeMessage(raw)));
    else if (hasFile && socket.writeFrom) total = await socket.writeFrom(partChunks(parts));
    else {
      let n = 0;
      for await (const chunk of partChunks(parts)) n += await socket.write(chunk);
      total = n;
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
