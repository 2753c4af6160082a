/**
 * Durations as people type and read them: `500ms`, `2s`, `1.5s`, `1m`, `2h`, and `none` for a
 * timeout that never ends; and a timer that can wait any of them.
 *
 * @example Parsing and formatting a duration
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration, parseDuration, parseTimeout } from "./duration.ts";
 * assert.equal(parseDuration("1.5s", "sleep"), 1500);
 * assert.equal(formatDuration(1500), "1.5s");
 * assert.equal(parseTimeout("none", "recv --timeout"), Infinity);
 * assert.equal(formatDuration(Infinity), "none");
 * ```
 *
 * @module
 */
import { SockitError } from "./errors.ts";
import { showValue } from "./show_value.ts";

/**
 * The longest duration sockit accepts: 365 days, in ms. Longer ones are a one-line error (a
 * timeout that should never end is `none`).
 *
 * @example The maximum is a year
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_DURATION_MS, parseDuration } from "./duration.ts";
 * assert.equal(parseDuration("8760h", "sleep"), MAX_DURATION_MS);
 * assert.throws(() => parseDuration("8761h", "sleep"), /longer than the maximum, 365 days/);
 * ```
 */
export const MAX_DURATION_MS = 365 * 24 * 3600 * 1000;

/** Formats milliseconds for people: `500ms`, `2s`, `1.5s`; Infinity is `none`. */
export function formatDuration(ms: number): string {
  if (ms === Infinity) return "none";
  return ms < 1000 ? `${ms}ms` : `${Number((ms / 1000).toFixed(3))}s`;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `500ms`, `2s`, `1.5s`, `1m`, `2h` or a bare number of seconds into
 * ms, up to {@link MAX_DURATION_MS}.
 */
export function parseDuration(text: string, action: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!m) {
    throw new SockitError(`Cannot ${action}: bad duration ${showValue(text)}`, {
      code: "usage",
      hint: "use e.g. 500ms, 2s, 1.5s, 1m or 2h",
    });
  }
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? "s"];
  if (ms > MAX_DURATION_MS) {
    throw new SockitError(
      `Cannot ${action}: duration "${text}" is longer than the maximum, 365 days`,
      { code: "too-large", hint: "a timeout that never ends is none" },
    );
  }
  return ms;
}

/** Parses a timeout: a duration as {@link parseDuration} reads it, or `none` (Infinity). */
export function parseTimeout(text: string, action: string): number {
  return text === "none" ? Infinity : parseDuration(text, action);
}

/** setTimeout waits at most this long; longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fire` after `ms` milliseconds, however long (setTimeout alone wraps above 2^31-1 ms
 * and fires at once); `Infinity` never fires, below 0 counts as 0. Returns the function that
 * cancels it.
 *
 * @example A timer that is cancelled never fires
 * ```ts
 * import assert from "node:assert/strict";
 * import { startTimer } from "./duration.ts";
 * let fired = false;
 * const cancel = startTimer(2 ** 32, () => fired = true);
 * cancel();
 * await new Promise((resolve) => startTimer(1, () => resolve(undefined)));
 * assert.equal(fired, false);
 * ```
 */
export function startTimer(ms: number, fire: () => void): () => void {
  if (ms === Infinity) return () => {};
  let timer: ReturnType<typeof setTimeout>;
  const due = Date.now() + Math.max(0, ms);
  const arm = (left: number) => {
    if (left <= MAX_TIMER_MS) timer = setTimeout(fire, Math.max(0, left));
    else timer = setTimeout(() => arm(due - Date.now()), MAX_TIMER_MS);
  };
  arm(Math.max(0, ms));
  return () => clearTimeout(timer);
}
