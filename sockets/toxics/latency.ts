/**
 * `latency D [--jitter J]`: every chunk is passed on D (± up to J, uniformly) after it was
 * read. Chunks queue in order (a later chunk never overtakes an earlier one: its time is at
 * least the one before's), and the delays overlap instead of adding up, so throughput stays:
 * the toxic takes the next chunk at once and holds at most {@link LATENCY_HOLD} bytes.
 *
 * @example A chunk arrives D later, whole
 * ```ts
 * import assert from "node:assert/strict";
 * import { latency } from "./latency.ts";
 * const stop = new AbortController();
 * const ctx = { signal: stop.signal, close() {}, reset() {}, cut() {} };
 * const run = latency.create({ delay: 30, jitter: 0 }, ctx);
 * const t0 = performance.now();
 * let got = "";
 * await run.data(new TextEncoder().encode("hi"), async (c) => { got += new TextDecoder().decode(c) });
 * await run.flush!();
 * assert.equal(got, "hi");
 * assert(performance.now() - t0 >= 29);
 * ```
 *
 * @module
 */
import type { Forward } from "../relay_pipe.ts";
import { sleep, type ToxicRun, type ToxicType } from "./_toxic.ts";

/** At most this many bytes wait in one latency toxic; the reader pauses above it: 8 MiB. */
export const LATENCY_HOLD = 8 * 1024 * 1024;

interface Held {
  due: number;
  bytes: Uint8Array;
  next: Forward;
}

/** The latency toxic. */
export const latency: ToxicType = {
  name: "latency",
  usage: "latency D [--jitter D]",
  summary: "each chunk D (± jitter) after it was read, in order",
  toxiproxy: "latency",
  positional: { name: "delay", kind: "duration" },
  options: { jitter: { kind: "duration", default: 0 } },
  create(args, ctx): ToxicRun {
    const queue: Held[] = [];
    let held = 0;
    let last = 0;
    let pumping: Promise<void> | undefined;
    let failure: unknown;
    let room: (() => void) | undefined;
    const pump = async () => {
      while (queue.length > 0) {
        const item = queue[0];
        try {
          await sleep(item.due - performance.now(), ctx.signal);
          await item.next(item.bytes);
        } catch (error) {
          failure ??= error;
          queue.length = 0;
          held = 0;
          break;
        }
        queue.shift();
        held -= item.bytes.length;
        if (held <= LATENCY_HOLD / 2) room?.();
      }
      pumping = undefined;
      room?.();
    };
    const flush = async () => {
      while (pumping) await pumping;
      if (failure) throw failure;
    };
    return {
      async data(chunk, next) {
        if (failure) throw failure;
        const now = performance.now();
        const wobble = args.jitter * (2 * Math.random() - 1);
        last = Math.max(last, now + Math.max(0, args.delay + wobble));
        queue.push({ due: last, bytes: chunk.slice(), next });
        held += chunk.length;
        pumping ??= pump();
        while (held > LATENCY_HOLD && queue.length > 0 && !failure) {
          await new Promise<void>((resolve) => room = resolve);
        }
        room = undefined;
      },
      async end(next) {
        await flush();
        await next();
      },
      flush,
    };
  },
};
