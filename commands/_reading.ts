import type { ReadOptions, ReadResult } from "../sockets/receive_buffer.ts";
import type { Command, OptionSpec } from "./types.ts";
import type { Args } from "./types.ts";
import {
  dataResult,
  DISPLAY_OPTIONS,
  displayOf,
  readOptions,
  type ReceivingSocket,
  receivingSocket,
  TIMEOUT_OPTION,
} from "./_sockets.ts";

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
}

/**
 * A receiving command (`recv`, `recvexact`, `recvline`, `recvuntil`, `expect`): the first
 * argument names the socket; every one takes `--timeout`, `--hex` and `--text`, reads with one
 * deadline and turns anything but success into a one-line error that keeps the buffered bytes.
 */
export function readingCommand(spec: ReadingSpec): Command {
  const { action, reader, options = [], ...command } = spec;
  return {
    ...command,
    options: [TIMEOUT_OPTION, ...DISPLAY_OPTIONS, ...options],
    async run(ctx, args) {
      const name = args.positional[0].text;
      const read = await reader(args, name);
      const socket = receivingSocket(ctx, name, action);
      const opts = readOptions(ctx, args);
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
