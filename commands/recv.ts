import type { ReceiveBuffer } from "../sockets/receive_buffer.ts";
import { frameOf } from "../protocols/framing.ts";
import { parseInteger } from "./args.ts";
import type { Args } from "./types.ts";
import { readingCommand, type ReceivingSocket } from "./reading.ts";

/**
 * The MAX argument of `recv`: the most bytes one read returns. Without it, 65536, or on a
 * socket with a message limit (a WebSocket) the whole message.
 */
function maxOf(args: Args, socket?: ReceivingSocket): number {
  if (args.positional[1]) return parseInteger(args.positional[1].text, "recv MAX", 1);
  return (socket as { maxMessage?: number } | undefined)?.maxMessage ?? 65536;
}

/**
 * `recv NAME [MAX]`: returns as soon as any bytes are there, up to MAX. With a frame set
 * (`frame NAME …`), returns one whole message instead and MAX does not apply.
 */
export const recv = readingCommand({
  name: "recv",
  usage: "recv NAME [MAX]",
  summary:
    "receive what is buffered or arrives next, up to MAX bytes (default 65536); framed, ws: one message",
  args: ["socket", "none"],
  minArgs: 1,
  maxArgs: 2,
  script: { reads: "any", expects: true },
  action: "recv from",
  max: maxOf,
  reader(args) {
    maxOf(args); // a bad MAX fails before the socket is looked up
    return (socket, opts) => {
      const max = maxOf(args, socket);
      const frame = frameOf(socket); // only stream sockets, whose buffer is a ReceiveBuffer
      return frame
        ? frame.read(socket.buffer as ReceiveBuffer, opts)
        : socket.buffer.recv(max, opts);
    };
  },
});
