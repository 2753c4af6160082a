import { formatDuration } from "../grammar/duration.ts";
import { errorCode, SockitError } from "../grammar/errors.ts";
import { parseInteger } from "./args.ts";
import type { Result } from "./result.ts";
import type { Command } from "./types.ts";

/** Waits `ms`, or less when `signal` aborts; true when it was cancelled. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve(signal.aborted);
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * `repeat N [--every D] COMMAND…`: runs a command line N times (Packet Sender's traffic
 * generator), D apart. Ctrl-C ends it between or during runs. The result says how often it ran
 * and shows the last result; the first error stops it and is the error, with the count.
 */
export const repeat: Command = {
  name: "repeat",
  usage: "repeat N [--every D] COMMAND…",
  summary: "run COMMAND N times, D apart (--every); Ctrl-C stops it",
  details: "The command's own options follow it: repeat 3 send a ping --timeout 1s.\n" +
    "Examples:\n  repeat 10 --every 100ms sendline a PING\n  repeat 3 recvline a",
  options: [{
    name: "every",
    type: "duration",
    summary: "--every DURATION  wait this long between runs (default: none)",
  }],
  args: ["none", "command"],
  minArgs: 2,
  optionsEnd: 1,
  script: {},
  async run(ctx, args) {
    const n = parseInteger(args.positional[0].text, "repeat N", 1);
    const inner = args.line.slice(args.positional[1].start);
    const head = args.positional[1].text;
    if (head === "repeat") {
      throw new SockitError("Cannot repeat a repeat: write one repeat with N1×N2", {
        code: "usage",
      });
    }
    const every = args.options.every as number | undefined;
    let last: Result = { kind: "none" };
    for (let i = 0; i < n; i++) {
      if (i > 0 && every !== undefined && await pause(every, ctx.signal) || ctx.signal.aborted) {
        throw new SockitError(`Cannot repeat ${head}: cancelled after ${i} of ${n} runs`, {
          code: "cancelled",
        });
      }
      try {
        last = await ctx.execute(inner);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new SockitError(
          `Cannot repeat ${head}: run ${i + 1} of ${n} failed: ${message}`,
          { code: errorCode(error), cause: error, hint: (error as { hint?: string }).hint },
        );
      }
    }
    const pace = every === undefined ? "" : `, ${formatDuration(every)} apart`;
    return { kind: "repeated", text: `ran ${head} ${n} times${pace}`, last };
  },
};
