import { SockitError } from "../sockets/errors.ts";
import { parsePayload, payloadBytes } from "../shell/payload.ts";
import type { Command } from "./types.ts";
import {
  dataResult,
  DISPLAY_OPTIONS,
  displayOf,
  readOptions,
  receivingSocket,
  TIMEOUT_OPTION,
} from "./_sockets.ts";

/** `recvuntil NAME DELIM`: up to and including a delimiter. */
export const recvuntil: Command = {
  name: "recvuntil",
  usage: "recvuntil NAME DELIM",
  summary: 'receive up to and including DELIM (a payload literal: "\\r\\n\\r\\n", hex:00, …)',
  options: [
    TIMEOUT_OPTION,
    ...DISPLAY_OPTIONS,
    { name: "drop", type: "flag", summary: "--drop  leave the delimiter out of the result" },
  ],
  args: ["socket", "none"],
  minArgs: 2,
  async run(ctx, args) {
    const name = args.positional[0].text;
    const parts = parsePayload(args.positional.slice(1));
    if (parts.some((p) => p.kind === "file")) {
      throw new SockitError(`Cannot recvuntil "${name}": the delimiter cannot be a file`);
    }
    const delim = await payloadBytes(parts);
    if (delim.length === 0) {
      throw new SockitError(`Cannot recvuntil "${name}": the delimiter is empty`);
    }
    const socket = receivingSocket(ctx, name, "recvuntil from");
    const opts = readOptions(ctx, args);
    const read = await socket.buffer.recvUntil(delim, { ...opts, drop: !!args.options.drop });
    return dataResult(name, "recvuntil from", read, opts.timeout, displayOf(args));
  },
};
