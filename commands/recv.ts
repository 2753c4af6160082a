import { SockitError } from "../sockets/errors.ts";
import type { ReceiveBuffer } from "../sockets/receive_buffer.ts";
import { frameOf } from "../protocols/framing.ts";
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

/**
 * `recv NAME [MAX]`: returns as soon as any bytes are there, up to MAX. With a frame set
 * (`frame NAME …`), returns one whole message instead and MAX does not apply.
 */
export const recv: Command = {
  name: "recv",
  usage: "recv NAME [MAX]",
  summary:
    "receive what is buffered or arrives next, up to MAX bytes (default 65536); framed: one message",
  options: [TIMEOUT_OPTION, ...DISPLAY_OPTIONS],
  args: ["socket", "none"],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, args) {
    const name = args.positional[0].text;
    const max = args.positional[1] ? parseInteger(args.positional[1].text, "recv MAX") : 65536;
    if (max === 0) throw new SockitError(`Cannot recv from "${name}": MAX must be at least 1`);
    const socket = receivingSocket(ctx, name, "recv from");
    const opts = readOptions(ctx, args);
    const frame = frameOf(socket); // only stream sockets, whose buffer is a ReceiveBuffer
    const read = frame
      ? await frame.read(socket.buffer as ReceiveBuffer, opts)
      : await socket.buffer.recv(max, opts);
    return dataResult(name, "recv from", read, opts.timeout, displayOf(args));
  },
};
