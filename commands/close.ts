import { plural } from "../grammar/plural.ts";
import type { Command } from "./types.ts";

/**
 * `close NAME…`: closes sockets (a listener also stops its built-in server). Unread bytes are
 * thrown away, and the result says how many: `closed a (5 unread bytes discarded)`.
 */
export const close: Command = {
  name: "close",
  usage: "close NAME…",
  summary: "close sockets (globs such as srv.* work); says how many unread bytes it discarded",
  args: ["socket"],
  minArgs: 1,
  script: { closes: true },
  async run(ctx, args) {
    const closed: string[] = [];
    for (const token of args.positional) {
      for (const socket of ctx.registry.match(token.text, "close")) {
        const info = socket.info();
        const unread = socket.closed || info.role === "listener" ? 0 : info.buffered;
        await socket.close();
        closed.push(
          unread ? `${socket.name} (${plural(unread, "unread byte")} discarded)` : socket.name,
        );
      }
    }
    return { kind: "message", text: `closed ${closed.join(", ")}` };
  },
};
