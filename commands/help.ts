import { SockitError } from "../grammar/errors.ts";
import { nearest } from "../grammar/nearest.ts";
import type { Command } from "./types.ts";

/** `help [COMMAND]`: the command list, or one command's usage, options and examples. */
export const help: Command = {
  name: "help",
  usage: "help [COMMAND]",
  summary: "list commands, or show one command's usage, options and examples",
  args: ["command"],
  maxArgs: 1,
  run(ctx, args) {
    const wanted = args.positional[0]?.text;
    if (wanted === undefined) {
      const width = Math.max(...[...ctx.commands.keys()].map((k) => k.length));
      const lines = [...ctx.commands.values()].map((c) =>
        `  ${c.name.padEnd(width)}  ${c.summary}`
      );
      return Promise.resolve({
        kind: "text",
        text: ["Commands:", ...lines, "", "help COMMAND shows its usage, options and examples."]
          .join("\n"),
      });
    }
    const command = ctx.commands.get(wanted);
    if (!command) {
      const guess = nearest(wanted, ctx.commands.keys());
      throw new SockitError(`help: unknown command "${wanted}"`, {
        code: "unknown-command",
        hint: guess ? `did you mean ${guess}?` : "help lists the commands",
      });
    }
    const lines = [
      `usage: ${command.usage}${command.options?.length ? " [OPTIONS]" : ""}`,
      command.summary,
    ];
    if (command.options?.length) {
      const split = command.options.map((o) => {
        const at = o.summary.indexOf("  ");
        return at < 0 ? [o.summary, ""] : [o.summary.slice(0, at), o.summary.slice(at).trim()];
      });
      const width = Math.max(...split.map(([flag]) => flag.length));
      lines.push(
        "",
        "Options:",
        ...split.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`.trimEnd()),
      );
    }
    if (command.details) lines.push("", command.details);
    return Promise.resolve({ kind: "text", text: lines.join("\n") });
  },
};
