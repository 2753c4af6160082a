/**
 * `bandwidth RATE`: passes at most RATE bytes per second (`100KB/s`, `1MB/s`, `2MiB/s`; KB is
 * 1000 bytes, KiB 1024). Chunks are cut into pieces of a tenth of a second's worth, each passed
 * on when the rate allows; an idle connection saves no credit.
 *
 * @example 4 000 bytes at 20 000 B/s: the second tenth of a second waits its turn
 * ```ts
 * import assert from "node:assert/strict";
 * import { bandwidth } from "./bandwidth.ts";
 * const stop = new AbortController();
 * const ctx = { signal: stop.signal, close() {}, reset() {}, cut() {} };
 * const run = bandwidth.create({ rate: 20_000 }, ctx);
 * const t0 = performance.now();
 * let n = 0;
 * await run.data(new Uint8Array(4000), async (c) => { n += c.length });
 * assert.equal(n, 4000);
 * assert(performance.now() - t0 >= 90);
 * ```
 *
 * @module
 */
import { sleep, type ToxicRun, type ToxicType } from "./_toxic.ts";

/** The bandwidth toxic. */
export const bandwidth: ToxicType = {
  name: "bandwidth",
  usage: "bandwidth RATE",
  summary: "at most RATE bytes a second (100KB/s, 1MiB/s)",
  toxiproxy: "bandwidth",
  positional: { name: "rate", kind: "rate" },
  options: {},
  create(args, ctx): ToxicRun {
    const piece = Math.max(1, Math.floor(args.rate / 10));
    let clock = 0;
    return {
      async data(chunk, next) {
        for (let off = 0; off < chunk.length; off += piece) {
          const now = performance.now();
          if (clock < now) clock = now;
          if (clock > now) await sleep(clock - now, ctx.signal);
          const part = chunk.subarray(off, off + piece);
          await next(part);
          clock += part.length * 1000 / args.rate;
        }
      },
    };
  },
};
