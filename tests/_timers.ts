/** Test helper: the timers a piece of code starts, without waiting for any of them. */

/** One timer that was started: its delay in ms, and its callback to fire by hand. */
export interface RecordedTimer {
  delay: number;
  fire: () => void;
}

/**
 * Runs `fn` with `setTimeout` replaced by a recorder and returns the timers it started; none of
 * them runs unless the test fires it.
 */
export function recordTimers(fn: () => void): RecordedTimer[] {
  const started: RecordedTimer[] = [];
  const real = globalThis.setTimeout;
  globalThis.setTimeout = ((cb: () => void, ms?: number) => {
    started.push({ delay: ms ?? 0, fire: cb });
    return 0;
  }) as unknown as typeof setTimeout;
  try {
    fn();
  } finally {
    globalThis.setTimeout = real;
  }
  return started;
}

/** Watches the delays of every `setTimeout` started until `restore()`; the timers run as usual. */
export function spyTimers(): { delays: number[]; restore: () => void } {
  const delays: number[] = [];
  const real = globalThis.setTimeout;
  globalThis.setTimeout = ((cb: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return real(cb, ms);
  }) as unknown as typeof setTimeout;
  return { delays, restore: () => globalThis.setTimeout = real };
}

/** Resolves once `condition()` holds, polling every few ms; rejects after `limit` ms. */
export async function until(condition: () => boolean, limit = 5000): Promise<void> {
  const end = Date.now() + limit;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`condition not met within ${limit} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
