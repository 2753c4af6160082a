import { plural } from "../grammar/plural.ts";
import { type ErrorCode, SockitError, systemErrorCode } from "../grammar/errors.ts";
import { Listener } from "../sockets/listener.ts";
import { ServerSocket } from "../protocols/server_socket.ts";
import type { ReadOptions, ReadResult } from "../sockets/receive_buffer.ts";
import type { NamedSocket } from "../sockets/named_socket.ts";
import type { Receiver } from "../sockets/receiver.ts";
import { StreamSocket } from "../sockets/stream_socket.ts";
import { preview } from "../grammar/render.ts";
import { formatDuration } from "../grammar/duration.ts";
import type { DisplayMode } from "../grammar/render.ts";
import type { Matched, Result } from "./result.ts";
import type { Args, CommandContext, OptionSpec } from "./types.ts";

/** `--timeout`, shared by every waiting command. */
export const TIMEOUT_OPTION: OptionSpec = {
  name: "timeout",
  type: "duration",
  summary:
    "--timeout DURATION|none  give up after this long (default: `set timeout`); none: wait until cancelled",
};

/** `--hex` and `--text`, shared by every receiving command. */
export const DISPLAY_OPTIONS: OptionSpec[] = [
  { name: "hex", type: "flag", summary: "--hex  show the bytes as a hexdump" },
  { name: "text", type: "flag", summary: "--text  show the bytes as a quoted string" },
  { name: "all", type: "flag", summary: "--all  show every byte on a terminal (no display-limit)" },
];

/** A socket that can be read from (a stream, or a datagram socket). */
export type ReceivingSocket = NamedSocket & { buffer: Receiver };

/** The readable socket of that name, or a one-line error naming the action. */
export function receivingSocket(
  ctx: CommandContext,
  name: string,
  action: string,
): ReceivingSocket {
  const socket = openSocket(ctx, name, action);
  const buffer = (socket as Partial<ReceivingSocket>).buffer;
  if (!buffer) {
    throw new SockitError(`Cannot ${action} "${name}": it does not receive`, {
      code: "wrong-kind",
    });
  }
  return socket as ReceivingSocket;
}

/** The stream socket of that name, or a one-line error naming the action. */
export function streamSocket(ctx: CommandContext, name: string, action: string): StreamSocket {
  const socket = openSocket(ctx, name, action);
  if (socket instanceof StreamSocket) return socket;
  throw wrongKind(socket, action, "stream");
}

/**
 * The error for a command the socket cannot do, saying what the socket is and what to do
 * instead: a listener's connections, a built-in server's address, `sendto` for a bound udp
 * socket. `want` is what the command needs: a `stream`, something to `send` to, or to `receive`.
 */
export function wrongKind(
  socket: NamedSocket,
  action: string,
  want: "stream" | "send" | "receive",
): SockitError {
  const name = socket.name;
  let what: string;
  let hint: string | undefined;
  if (socket instanceof ServerSocket) {
    what = `the built-in ${socket.protocol} server`;
    hint = `its connections are served by ${socket.protocol} itself; to talk to it, ` +
      `open ${socket.kind} c ${socket.info().local}`;
  } else if (socket instanceof Listener) {
    what = "a listener";
    hint = `accept ${name}, then use ${name}.1, ${name}.2, … (or ${name}.* for all of them)`;
  } else if (socket.info().role === "bound") {
    what = `a bound ${socket.kind} socket with no peer`;
    hint = want === "stream"
      ? `${socket.kind} has no stream: datagrams stay whole`
      : `use sendto ${name} HOST:PORT PAYLOAD, or recvfrom ${name}`;
  } else {
    what = `a ${socket.kind} socket, not a stream`;
    hint = want === "stream" ? `${socket.kind} has no stream: datagrams stay whole` : undefined;
  }
  return new SockitError(`Cannot ${action} "${name}": it is ${what}`, { code: "wrong-kind", hint });
}

/** The open, non-listener socket of that name, or a one-line error naming the action. */
function openSocket(ctx: CommandContext, name: string, action: string): NamedSocket {
  const socket = ctx.registry.get(name, action);
  if (socket instanceof Listener || socket instanceof ServerSocket) {
    throw wrongKind(socket, action, "receive");
  }
  if (socket.closed) {
    throw new SockitError(`Cannot ${action} "${name}": socket is closed`, { code: "closed" });
  }
  return socket;
}

/** How a read error says the peer closed; the mock finds recorded hang-ups by it. */
export const END_OF_STREAM = "end of stream, peer closed";

/** The read options for a call: its deadline and the cancel signal. */
export function readOptions(ctx: CommandContext, args: Args): ReadOptions & { timeout: number } {
  return {
    timeout: (args.options.timeout as number | undefined) ?? ctx.settings.timeout,
    signal: ctx.signal,
  };
}

/** The display mode a call asked for, if any. */
export function displayOf(args: Args): DisplayMode | undefined {
  if (args.options.hex) return "hex";
  if (args.options.text) return "text";
  return undefined;
}

/**
 * Turns a buffer read into a result; anything but `ok` becomes a one-line error that says
 * what is still buffered (the bytes stay there: nothing is lost). A read that carries `matched`
 * and `before` (`expect` with alternatives) passes them on.
 */
export function dataResult(
  name: string,
  action: string,
  read: ReadResult & { matched?: Matched; before?: Uint8Array },
  timeout: number,
  display?: DisplayMode,
  all?: boolean,
): Result {
  if (read.status !== "ok") throw readFailure(name, action, read, timeout);
  // Datagram reads say when a datagram was longer than asked for (the rest is discarded).
  const { truncated, matched, before, tag } = read as typeof read & {
    truncated?: boolean;
    tag?: string;
  };
  return {
    kind: "data",
    socket: name,
    status: "ok",
    data: read.data,
    display,
    ...(truncated ? { truncated } : {}),
    ...(matched ? { matched, before } : {}),
    // A WebSocket message says its kind.
    ...(tag === "text" || tag === "binary" ? { message: tag } : {}),
    ...(all ? { all } : {}),
  };
}

/**
 * The one-line error for a read that did not succeed: timed out, cancelled, end of stream or
 * failed, saying what is still buffered, and `also` after it (`; 5 bytes written to out.bin`).
 */
export function readFailure(
  name: string,
  action: string,
  read: ReadResult,
  timeout: number,
  also = "",
): SockitError {
  const kept = read.data.length === 0
    ? "nothing buffered"
    : `${plural(read.data.length, "byte")} kept in buffer: ${preview(read.data)}`;
  const fail = (why: string, code: ErrorCode) =>
    new SockitError(`Cannot ${action} "${name}": ${why} (${kept})${also}`, { code });
  switch (read.status) {
    case "timeout":
      return fail(`timed out after ${formatDuration(timeout)}`, "timeout");
    case "cancelled":
      return fail("cancelled", "cancelled");
    case "eof":
      return fail(END_OF_STREAM, "eof");
    default:
      return fail(read.error?.message ?? "read failed", systemErrorCode(read.error));
  }
}
