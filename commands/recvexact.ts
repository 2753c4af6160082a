import { parseInteger } from "./_args.ts";
import type { Command } from "./types.ts";
import {
  dataResult,
  DISPLAY_OPTIONS,
  displayOf,
  readOptions,
  receivingSocket,
  TIMEOUT_OPTION,
} from "./_sockets.ts";

/** `recvexact NAME N`: exactly N bytes. */
export const recvexact: Command = {
  name: "recvexact",
  usage: "recvexact NAME N",
  summary: "receive exactly N bytes",
  options: [TIMEOUT_OPTION, ...DISPLAY_OPTIONS],
  args: ["socket", "none"],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, args) {
    const name = args.positional[0].text;
    const n = parseInteger(args.positional[1].text, "recvexact N");
    const socket = receivingSocket(ctx, name, "recvexact from");
    const opts = readOptions(ctx, args);
    const read = await socket.buffer.recvExact(n, opts);
    return dataResult(name, "recvexact from", read, opts.timeout, displayOf(args));
  },
};
