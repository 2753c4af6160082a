import { plural } from "../grammar/plural.ts";
import { SockitError } from "../grammar/errors.ts";
import { Listener } from "../sockets/listener.ts";
import type { ReadOptions, ReadResult } from "../sockets/receive_buffer.ts";
import type { NamedSocket } from "../sockets/named_socket.ts";
import type { Receiver } from "../sockets/receiver.ts";
import { StreamSocket } from "../sockets/stream_socket.ts";
import { preview } from "../grammar/render.ts";
import { formatDuration } from "../grammar/duration.ts";
import type { DisplayMode } from "../grammar/render.ts";
import type { Result } from "./result.ts";
import type { Args, CommandContext, OptionSpec } from "./types.ts";

/** `--timeout`, shared by every waiting command. */
export const TIMEOUT_OPTION: OptionSpec = {
  name: "timeout",
  type: "duration",
  summary: "--timeout DURATION  give up after this long (default: the `set timeout` value)",
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
  if (!buffer) throw new SockitError(`Cannot ${action} "${name}": it does not receive`);
  return socket as ReceivingSocket;
}

/** The stream socket of that name, or a one-line error naming the action. */
export function streamSocket(ctx: CommandContext, name: string, action: string): StreamSocket {
  const socket = openSocket(ctx, name, action);
  if (socket instanceof StreamSocket) return socket;
  throw new SockitError(`Cannot ${action} "${name}": not a stream socket (${socket.kind})`);
}

/** The open, non-listener socket of that name, or a one-line error naming the action. */
function openSocket(ctx: CommandContext, name: string, action: string): NamedSocket {
  const socket = ctx.registry.get(name, action);
  if (socket instanceof Listener) {
    throw new SockitError(`Cannot ${action} "${name}": it is a listener`, {
      hint: `its connections are ${name}.1, ${name}.2, …`,
    });
  }
  if (socket.closed) throw new SockitError(`Cannot ${action} "${name}": socket is closed`);
  return socket;
}

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
 * what is still buffered (the bytes stay there: nothing is lost).
 */
export function dataResult(
  name: string,
  action: string,
  read: ReadResult,
  timeout: number,
  display?: DisplayMode,
  all?: boolean,
): Result {
  if (read.status === "ok") {
    // Datagram reads say when a datagram was longer than asked for (the rest is discarded).
    const { truncated } = read as ReadResult & { truncated?: boolean };
    return {
      kind: "data",
      socket: name,
      status: "ok",
      data: read.data,
      display,
      ...(truncated ? { truncated } : {}),
      ...(all ? { all } : {}),
    };
  }
  const kept = read.data.length === 0
    ? "nothing buffered"
    : `${plural(read.data.length, "byte")} kept in buffer: ${preview(read.data)}`;
  switch (read.status) {
    case "timeout":
      throw new SockitError(
        `Cannot ${action} "${name}": timed out after ${formatDuration(timeout)} (${kept})`,
      );
    case "cancelled":
      throw new SockitError(`Cannot ${action} "${name}": cancelled (${kept})`);
    case "eof":
      throw new SockitError(`Cannot ${action} "${name}": end of stream, peer closed (${kept})`);
    default:
      throw new SockitError(
        `Cannot ${action} "${name}": ${read.error?.message ?? "read failed"} (${kept})`,
      );
  }
}
