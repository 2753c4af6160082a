import { parseDuration, startTimer } from "../grammar/duration.ts";
import { SockitError } from "../grammar/errors.ts";
import type { Command } from "./types.ts";
import { NONE } from "./result.ts";

/** `sleep DURATION`: waits, up to 365 days (Ctrl-C cancels). */
export const sleep: Command = {
  name: "sleep",
  usage: "sleep DURATION",
  summary: "wait, e.g. sleep 500ms, sleep 2s, sleep 1h (at most 365 days; Ctrl-C cancels)",
  args: ["none"],
  minArgs: 1,
  maxArgs: 1,
  run(ctx, args) {
    const ms = parseDuration(args.positional[0].text, "sleep");
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        cancel();
        reject(
          new SockitError(`sleep ${args.positional[0].text}: cancelled`, { code: "cancelled" }),
        );
      };
      const cancel = startTimer(ms, () => {
        ctx.signal.removeEventListener("abort", onAbort);
        resolve(NONE);
      });
      if (ctx.signal.aborted) return onAbort();
      ctx.signal.addEventListener("abort", onAbort, { once: true });
    });
  },
};
