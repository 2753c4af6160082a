import type { Command } from "./types.ts";

/** `quit`: closes every socket and leaves. */
export const quit: Command = {
  name: "quit",
  usage: "quit",
  summary: "close every socket and exit (Ctrl-D does the same)",
  maxArgs: 0,
  script: { unrecorded: true },
  async run(ctx) {
    await ctx.registry.closeAll();
    return { kind: "quit" };
  },
};
