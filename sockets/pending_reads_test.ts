import nodeAssert from "node:assert/strict";
import { type AbandonReason, PendingReads } from "./pending_reads.ts";
import { recordTimers } from "../tests/_timers.ts";

const assertEquals = <T>(actual: T, expected: T) => nodeAssert.deepStrictEqual(actual, expected);

/**
 * Runs `fn` and returns how many of the timers it started were neither cleared nor fired by the
 * end (then clears them). Deno's test sanitizers do not report a pending setTimeout.
 */
async function timersLeftBy(fn: () => Promise<void>): Promise<number> {
  const { setTimeout: set, clearTimeout: clear } = globalThis;
  const live = new Set<unknown>();
  globalThis.setTimeout = ((cb: () => void, ms?: number) => {
    const id = set(() => {
      live.delete(id);
      cb();
    }, ms);
    live.add(id);
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = (id) => {
    live.delete(id);
    clear(id);
  };
  try {
    await fn();
  } finally {
    globalThis.setTimeout = set;
    globalThis.clearTimeout = clear;
  }
  for (const id of live) clear(id as ReturnType<typeof setTimeout>);
  return live.size;
}

/** Counts the abort listeners added to `signal` and not removed since. */
function countListeners(signal: AbortSignal): () => number {
  let n = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = (...args: Parameters<typeof add>) => (n++, add(...args));
  signal.removeEventListener = (...args: Parameters<typeof remove>) => (n--, remove(...args));
  return () => n;
}

/** A source of items that reads take from, counting the attempts made on it. */
class Items {
  items: string[] = [];
  attempts = 0;
  /** An attempt that takes the next item, if any. */
  take = (): string | undefined => {
    this.attempts++;
    return this.items.shift();
  };
}

/** A queue whose abandoned reads resolve "timeout" or "cancelled". */
const stream = () => new PendingReads<string>((reason) => reason);

/** A queue with a lane per letter; abandoned reads resolve e.g. "a timeout". */
const lanes = () => new PendingReads<string, string>((reason, lane) => `${lane} ${reason}`);

Deno.test("a read that can complete at once resolves without waiting", async () => {
  const reads = stream();
  const src = new Items();
  src.items.push("now");
  const r = reads.read(src.take, { timeout: 1000 });
  assertEquals(reads.size, 0);
  assertEquals(await r, "now");
});

Deno.test("a read that cannot complete waits until serve() finds its data", async () => {
  const reads = stream();
  const src = new Items();
  const r = reads.read(src.take, {});
  assertEquals(reads.size, 1);
  reads.serve();
  assertEquals(reads.size, 1);
  src.items.push("later");
  reads.serve();
  assertEquals(await r, "later");
  assertEquals(reads.size, 0);
});

Deno.test("reads are served in call order", async () => {
  const reads = stream();
  const src = new Items();
  const results = [reads.read(src.take, {}), reads.read(src.take, {}), reads.read(src.take, {})];
  src.items.push("1", "2", "3");
  reads.serve();
  assertEquals(await Promise.all(results), ["1", "2", "3"]);
});

Deno.test("a read behind a waiting read is not attempted until that read is done", async () => {
  const reads = stream();
  const never = () => undefined;
  const src = new Items();
  src.items.push("ready");
  const head = reads.read(never, { timeout: 10 });
  const next = reads.read(src.take, {});
  reads.serve();
  assertEquals(src.attempts, 0);
  assertEquals(await head, "timeout");
  assertEquals(await next, "ready");
  assertEquals(src.attempts, 1);
});

Deno.test("a read of one lane does not wait behind another lane", async () => {
  const reads = lanes();
  const a = new Items();
  const b = new Items();
  const readA = reads.read(a.take, { timeout: 10 }, "a");
  const readB = reads.read(b.take, {}, "b");
  b.items.push("for b");
  reads.serve();
  assertEquals(await readB, "for b");
  assertEquals(await readA, "a timeout");
});

Deno.test("across lanes the oldest read is served first", async () => {
  const reads = lanes();
  const shared = new Items();
  const order: string[] = [];
  const take = (lane: string) => () => {
    const item = shared.take();
    if (item !== undefined) order.push(lane);
    return item;
  };
  const first = reads.read(take("b"), {}, "b");
  const second = reads.read(take("a"), {}, "a");
  const third = reads.read(take("b"), {}, "b");
  shared.items.push("1", "2", "3");
  reads.serve();
  assertEquals(await Promise.all([first, second, third]), ["1", "2", "3"]);
  assertEquals(order, ["b", "a", "b"]);
});

Deno.test("a read that times out resolves with the abandoned result of its lane", async () => {
  const reads = lanes();
  const src = new Items();
  assertEquals(await reads.read(src.take, { timeout: 5 }, "a"), "a timeout");
  assertEquals(reads.size, 0);
});

Deno.test("a read that times out is not attempted again, so it consumes nothing", async () => {
  const reads = stream();
  const src = new Items();
  const r = reads.read(src.take, { timeout: 5 });
  assertEquals(src.attempts, 1);
  assertEquals(await r, "timeout");
  src.items.push("kept");
  reads.serve();
  assertEquals(src.attempts, 1);
  assertEquals(src.items, ["kept"]);
});

Deno.test("a waiting read's timeout counts from its call, not from its turn", async () => {
  const reads = stream();
  const src = new Items();
  const head = reads.read(src.take, { timeout: 1000 });
  assertEquals(await reads.read(src.take, { timeout: 20 }), "timeout");
  assertEquals(reads.size, 1);
  src.items.push("for the head");
  reads.serve();
  assertEquals(await head, "for the head");
});

Deno.test("a negative timeout counts as zero", async () => {
  const reads = stream();
  assertEquals(await reads.read(() => undefined, { timeout: -100 }), "timeout");
});

Deno.test("a timeout longer than setTimeout can wait arms the longest timer, not one that fires at once", async () => {
  const reads = stream();
  const src = new Items();
  let r!: Promise<string>;
  const timers = recordTimers(() => r = reads.read(src.take, { timeout: 2 ** 31 + 1000 }));
  assertEquals(timers.map((t) => t.delay), [2 ** 31 - 1]);
  src.items.push("served long before");
  reads.serve();
  assertEquals(await r, "served long before");
});

Deno.test("aborting the signal cancels a waiting read without attempting it", async () => {
  const reads = lanes();
  const src = new Items();
  const ac = new AbortController();
  const r = reads.read(src.take, { signal: ac.signal, timeout: 5000 }, "a");
  ac.abort();
  assertEquals(await r, "a cancelled");
  assertEquals(src.attempts, 1);
  assertEquals(reads.size, 0);
});

Deno.test("a read with an already aborted signal is cancelled without an attempt", async () => {
  const reads = stream();
  const src = new Items();
  src.items.push("untouched");
  assertEquals(await reads.read(src.take, { signal: AbortSignal.abort() }), "cancelled");
  assertEquals(src.attempts, 0);
  assertEquals(src.items, ["untouched"]);
});

Deno.test("a served read removes its abort listener and a late abort changes nothing", async () => {
  const reads = stream();
  const src = new Items();
  const ac = new AbortController();
  const listeners = countListeners(ac.signal);
  const r = reads.read(src.take, { signal: ac.signal });
  assertEquals(listeners(), 1);
  src.items.push("served");
  reads.serve();
  assertEquals(listeners(), 0);
  ac.abort();
  assertEquals(await r, "served");
});

Deno.test("a read that times out removes its abort listener", async () => {
  const reads = stream();
  const ac = new AbortController();
  const listeners = countListeners(ac.signal);
  const r = reads.read(() => undefined, { signal: ac.signal, timeout: 5 });
  assertEquals(listeners(), 1);
  assertEquals(await r, "timeout");
  assertEquals(listeners(), 0);
});

Deno.test("a served read clears its timer", async () => {
  const left = await timersLeftBy(async () => {
    const reads = stream();
    const src = new Items();
    const r = reads.read(src.take, { timeout: 60_000 });
    src.items.push("in time");
    reads.serve();
    assertEquals(await r, "in time");
  });
  assertEquals(left, 0);
});

Deno.test("a cancelled read clears its timer", async () => {
  const left = await timersLeftBy(async () => {
    const reads = lanes();
    const ac = new AbortController();
    const cancelled = reads.read(() => undefined, { signal: ac.signal, timeout: 60_000 }, "a");
    ac.abort();
    assertEquals(await cancelled, "a cancelled");
    assertEquals(reads.size, 0);
  });
  assertEquals(left, 0);
});

Deno.test("a read with no timeout, or an Infinity one, starts no timer", async () => {
  const left = await timersLeftBy(async () => {
    const reads = stream();
    reads.read(() => undefined, {});
    reads.read(() => undefined, { timeout: Infinity });
    await Promise.resolve();
    assertEquals(reads.size, 2);
  });
  assertEquals(left, 0);
});

Deno.test("the abandoned callback gets the reason and the lane", async () => {
  const seen: [AbandonReason, string][] = [];
  const reads = new PendingReads<string, string>((reason, lane) => {
    seen.push([reason, lane]);
    return "gone";
  });
  const ac = new AbortController();
  const a = reads.read(() => undefined, { timeout: 5 }, "a");
  const b = reads.read(() => undefined, { signal: ac.signal }, "b");
  await a;
  ac.abort();
  await b;
  assertEquals(seen, [["timeout", "a"], ["cancelled", "b"]]);
});
