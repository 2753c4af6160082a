/**
 * `slow_close D`: when the source ends its writing, the end of stream reaches the other side D
 * later (the bytes before it pass as usual).
 *
 * @example The end of stream is held back D
 * ```ts
 * import assert from "node:assert/strict";
 * import { slowClose } from "./slow_close.ts";
 * const stop = new AbortController();
 * const run = slowClose.create({ delay: 20 }, { signal: stop.signal, close() {}, reset() {}, cut() {} });
 * const t0 = performance.now();
 * await run.end!(() => Promise.resolve());
 * assert(performance.now() - t0 >= 19);
 * ```
 *
 * @module
 */
import { sleep, type ToxicRun, type ToxicType } from "./_toxic.ts";

/** The slow_close toxic. */
export const slowClose: ToxicType = {
  name: "slow_close",
  usage: "slow_close D",
  summary: "holds the end of stream back by D",
  toxiproxy: "slow_close",
  positional: { name: "delay", kind: "duration" },
  options: {},
  create(args, ctx): ToxicRun {
    return {
      data: (chunk, next) => next(chunk),
      async end(next) {
        await sleep(args.delay, ctx.signal);
        await next();
      },
    };
  },
};
