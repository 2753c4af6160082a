import { plural } from "../grammar/plural.ts";
import { closeSocket } from "../sockets/listener.ts";
import type { Command } from "./types.ts";

/**
 * `close NAME…`: closes sockets (a listener also stops its built-in server). Unread bytes are
 * thrown away, and the result says how many: `closed a (5 unread bytes discarded)`.
 */
export const close: Command = {
  name: "close",
  usage: "close NAME…",
  summary: "close sockets (globs such as srv.* work); says how many unread bytes it discarded",
  details: "Closing a listener stops accepting; its children stay open unless --all is given.",
  args: ["socket"],
  minArgs: 1,
  options: [
    {
      name: "all",
      type: "flag",
      summary: "--all  a listener's children close with it (without it they stay open)",
    },
  ],
  script: { closes: true },
  async run(ctx, args) {
    const closed = new Set<string>();
    for (const token of args.positional) {
      for (const socket of ctx.registry.match(token.text, "close")) {
        const info = socket.info();
        const unread = socket.closed || info.role === "listener" ? 0 : info.buffered;
        const names = await closeSocket(socket, { children: args.options.all === true });
        for (const n of names) {
          closed.add(
            n === socket.name && unread ? `${n} (${plural(unread, "unread byte")} discarded)` : n,
          );
        }
      }
    }
    return { kind: "message", text: `closed ${[...closed].join(", ")}` };
  },
};
