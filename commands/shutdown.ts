import type { Command } from "./types.ts";
import { streamSocket } from "./_sockets.ts";

/** `shutdown NAME`: half-close our side. */
export const shutdown: Command = {
  name: "shutdown",
  usage: "shutdown NAME",
  summary: "half-close: the peer sees end of stream, and can still send to us",
  args: ["socket"],
  minArgs: 1,
  maxArgs: 1,
  script: { closes: true },
  async run(ctx, args) {
    const name = args.positional[0].text;
    await streamSocket(ctx, name, "shut down").shutdown();
    return { kind: "message", text: `${name} shut down for writing` };
  },
};
