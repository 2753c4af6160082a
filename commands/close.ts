import { plural } from "../grammar/plural.ts";
import { SockitError } from "../grammar/errors.ts";
import { WsSocket } from "../sockets/ws_socket.ts";
import type { Command } from "./types.ts";

/**
 * `close NAME…`: closes sockets (a listener also stops its built-in server). Unread bytes are
 * thrown away, and the result says how many: `closed a (5 unread bytes discarded)`. A ws socket
 * plays the close handshake: a close frame with `--code` (default 1000) and `--reason`, then it
 * waits (up to `--timeout`, 2 s by default) for the peer's.
 */
export const close: Command = {
  name: "close",
  usage: "close NAME… [--code N] [--reason R]",
  summary: "close sockets (globs such as srv.* work); says how many unread bytes it discarded",
  details: "On a ws socket, close sends a close frame (--code N, default 1000; --reason TEXT)\n" +
    "and waits up to --timeout (default 2s) for the peer's before dropping the connection;\n" +
    "ls and the closed event show both codes.",
  options: [
    {
      name: "code",
      type: "integer",
      summary: "--code N  ws: the close code to send (default 1000; 1008 policy, 3000-4999 own)",
    },
    { name: "reason", type: "string", summary: "--reason TEXT  ws: the close reason to send" },
    {
      name: "timeout",
      type: "duration",
      summary: "--timeout DURATION  ws: how long to wait for the peer's close frame (2s)",
    },
  ],
  args: ["socket"],
  minArgs: 1,
  script: { closes: true },
  async run(ctx, args) {
    const closed: string[] = [];
    const { code, reason, timeout } = args.options as {
      code?: number;
      reason?: string;
      timeout?: number;
    };
    const handshake = code !== undefined || reason !== undefined || timeout !== undefined;
    for (const token of args.positional) {
      for (const socket of ctx.registry.match(token.text, "close")) {
        if (handshake && !(socket instanceof WsSocket)) {
          const what = socket.info().role === "listener"
            ? `a ${socket.kind} listener`
            : socket.kind;
          throw new SockitError(
            `Cannot close "${socket.name}": --code, --reason and --timeout are for ws connections; it is ${what}`,
            { code: "usage" },
          );
        }
        const info = socket.info();
        const unread = socket.closed || info.role === "listener" ? 0 : info.buffered;
        if (socket instanceof WsSocket) await socket.close({ code, reason, timeout });
        else await socket.close();
        closed.push(
          unread ? `${socket.name} (${plural(unread, "unread byte")} discarded)` : socket.name,
        );
      }
    }
    return { kind: "message", text: `closed ${closed.join(", ")}` };
  },
};
