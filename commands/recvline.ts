import type { Command } from "./types.ts";
import {
  dataResult,
  DISPLAY_OPTIONS,
  displayOf,
  readOptions,
  receivingSocket,
  TIMEOUT_OPTION,
} from "./_sockets.ts";

/** `recvline NAME`: up to and including the next `\n`. */
export const recvline: Command = {
  name: "recvline",
  usage: "recvline NAME",
  summary: "receive up to and including the next \\n",
  options: [TIMEOUT_OPTION, ...DISPLAY_OPTIONS],
  args: ["socket"],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, args) {
    const name = args.positional[0].text;
    const socket = receivingSocket(ctx, name, "recvline from");
    const opts = readOptions(ctx, args);
    const read = await socket.buffer.recvLine(opts);
    return dataResult(name, "recvline from", read, opts.timeout, displayOf(args));
  },
};
