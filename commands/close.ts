import type { Command } from "./types.ts";

/** `close NAME…`: closes sockets (a listener also stops its built-in server). */
export const close: Command = {
  name: "close",
  usage: "close NAME…",
  summary: "close sockets (globs such as srv.* work); unread bytes are discarded",
  args: ["socket"],
  minArgs: 1,
  script: { closes: true },
  async run(ctx, args) {
    const closed: string[] = [];
    for (const token of args.positional) {
      for (const socket of ctx.registry.match(token.text, "close")) {
        await socket.close();
        closed.push(socket.name);
      }
    }
    return { kind: "message", text: `closed ${closed.join(", ")}` };
  },
};
