/**
 * `slicer --size N [--variation V] [--delay D]`: cuts every chunk into writes of N bytes (± up
 * to V, at least 1), waiting D between them: a peer that assumes one read is one message
 * meets the stream as it may really arrive.
 *
 * @example Three single-byte writes
 * ```ts
 * import assert from "node:assert/strict";
 * import { slicer } from "./slicer.ts";
 * const stop = new AbortController();
 * const ctx = { signal: stop.signal, close() {}, reset() {}, cut() {} };
 * const run = slicer.create({ size: 1, variation: 0, delay: 0 }, ctx);
 * const writes: number[] = [];
 * await run.data(new Uint8Array(3), async (c) => { writes.push(c.length) });
 * assert.deepEqual(writes, [1, 1, 1]);
 * ```
 *
 * @module
 */
import { sleep, type ToxicRun, type ToxicType } from "./_toxic.ts";

/** The slicer toxic. */
export const slicer: ToxicType = {
  name: "slicer",
  usage: "slicer --size N [--variation N] [--delay D]",
  summary: "writes of N (± variation) bytes, D apart",
  toxiproxy: "slicer",
  options: {
    size: { kind: "bytes" },
    variation: { kind: "bytes", default: 0 },
    delay: { kind: "duration", default: 0 },
  },
  required: ["size"],
  create(args, ctx): ToxicRun {
    const size = () => {
      const v = args.variation;
      const n = v > 0 ? args.size + Math.floor(Math.random() * (2 * v + 1)) - v : args.size;
      return Math.max(1, n);
    };
    return {
      async data(chunk, next) {
        let off = 0;
        while (off < chunk.length) {
          if (off > 0 && args.delay > 0) await sleep(args.delay, ctx.signal);
          const n = size();
          await next(chunk.subarray(off, off + n));
          off += n;
        }
      },
    };
  },
};
