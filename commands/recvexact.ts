import { parseInteger } from "./args.ts";
import { readingCommand } from "./reading.ts";

/** `recvexact NAME N`: exactly N bytes. */
export const recvexact = readingCommand({
  name: "recvexact",
  usage: "recvexact NAME N",
  summary: "receive exactly N bytes",
  args: ["socket", "none"],
  minArgs: 2,
  maxArgs: 2,
  action: "recvexact from",
  reader(args) {
    const n = parseInteger(args.positional[1].text, "recvexact N");
    return (socket, opts) => socket.buffer.recvExact(n, opts);
  },
});
