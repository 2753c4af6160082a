import { readingCommand } from "./reading.ts";

/** `recvline NAME`: up to and including the next `\n`. */
export const recvline = readingCommand({
  name: "recvline",
  usage: "recvline NAME",
  summary: "receive up to and including the next \\n",
  args: ["socket"],
  minArgs: 1,
  maxArgs: 1,
  action: "recvline from",
  reader: () => (socket, opts) => socket.buffer.recvLine(opts),
});
