import { StreamSocket } from "../sockets/stream_socket.ts";
import { parseInteger } from "./args.ts";
import { readingCommand } from "./reading.ts";
import { pump } from "./_stream.ts";

/** `recvexact NAME N`: exactly N bytes (with `--to FILE` on a stream, written as they arrive). */
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
  total: (args) => parseInteger(args.positional[1].text, "recvexact N"),
  stream(args) {
    const n = parseInteger(args.positional[1].text, "recvexact N");
    return async (socket, opts, sink) => {
      if (socket instanceof StreamSocket) return pump(socket.buffer, sink, { bytes: n }, opts);
      const read = await socket.buffer.recvExact(n, opts); // one datagram: bounded already
      if (read.status === "ok") await sink(read.data);
      return { status: read.status, count: read.status === "ok" ? n : 0, error: read.error };
    };
  },
});
