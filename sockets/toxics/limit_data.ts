/**
 * `limit_data N`: passes the first N bytes of its direction, then closes the connection (the
 * peer reads exactly N bytes, then end of stream); what came after is counted as cut.
 *
 * @example 5 of 8 bytes pass, then the close
 * ```ts
 * import assert from "node:assert/strict";
 * import { limitData } from "./limit_data.ts";
 * const stop = new AbortController();
 * let why = "";
 * let cut = 0;
 * const ctx = { signal: stop.signal, close: (w: string) => why = w, reset() {}, cut: (n: number) => cut += n };
 * const run = limitData.create({ bytes: 5 }, ctx);
 * let passed = 0;
 * await run.data(new Uint8Array(8), async (c) => { passed += c.length });
 * assert.equal(passed, 5);
 * assert.equal(cut, 3);
 * assert.equal(why, "limit_data: closed after 5 bytes");
 * ```
 *
 * @module
 */
import type { ToxicRun, ToxicType } from "./_toxic.ts";

/** The limit_data toxic. */
export const limitData: ToxicType = {
  name: "limit_data",
  usage: "limit_data N",
  summary: "passes N bytes, then closes the connection",
  toxiproxy: "limit_data",
  positional: { name: "bytes", kind: "bytes" },
  options: {},
  create(args, ctx): ToxicRun {
    let left = args.bytes;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      ctx.close(`limit_data: closed after ${args.bytes} bytes`);
    };
    if (left === 0) queueMicrotask(close);
    return {
      async data(chunk, next) {
        const part = chunk.subarray(0, left);
        if (part.length > 0) await next(part);
        left -= part.length;
        if (chunk.length > part.length) ctx.cut(chunk.length - part.length);
        if (left === 0) close();
      },
    };
  },
};
