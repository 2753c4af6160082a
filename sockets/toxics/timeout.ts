/**
 * `timeout D`: from when it applies, nothing more gets through (the bytes are dropped and
 * counted as cut), and D later the connection is closed. `timeout 0` never closes: the
 * connection just goes silent until the toxic is removed.
 *
 * @example Bytes stop, the connection closes after D
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeout } from "./timeout.ts";
 * const stop = new AbortController();
 * let cut = 0;
 * let why = "";
 * const closed = new Promise<void>((resolve) => {
 *   const ctx = { signal: stop.signal, close: (w: string) => { why = w; resolve() }, reset() {}, cut: (n: number) => cut += n };
 *   const run = timeout.create({ timeout: 10 }, ctx);
 *   run.data(new Uint8Array(5), () => Promise.reject(new Error("never")));
 * });
 * await closed;
 * assert.equal(cut, 5);
 * assert.match(why, /timeout: closed after 10ms/);
 * ```
 *
 * @module
 */
import { formatDuration } from "../../grammar/duration.ts";
import { after, type ToxicRun, type ToxicType } from "./_toxic.ts";

/** The timeout toxic. */
export const timeout: ToxicType = {
  name: "timeout",
  usage: "timeout D",
  summary: "drops everything, closes after D (0: never)",
  toxiproxy: "timeout",
  positional: { name: "timeout", kind: "duration" },
  options: {},
  create(args, ctx): ToxicRun {
    // The end of stream is held back too, until the close (or the connection's end).
    let over: () => void = () => {};
    const closed = new Promise<void>((resolve) => over = resolve);
    ctx.signal.addEventListener("abort", () => over(), { once: true });
    if (args.timeout > 0) {
      after(args.timeout, ctx.signal, () => {
        ctx.close(`timeout: closed after ${formatDuration(args.timeout)}`);
        over();
      });
    }
    return {
      data(chunk) {
        ctx.cut(chunk.length);
        return Promise.resolve();
      },
      end: () => closed,
    };
  },
};
