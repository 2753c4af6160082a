/**
 * Durations as people type and read them: `500ms`, `2s`, `1.5s`, `1m`.
 *
 * @example Parsing and formatting a duration
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration, parseDuration } from "./duration.ts";
 * assert.equal(parseDuration("1.5s", "sleep"), 1500);
 * assert.equal(formatDuration(1500), "1.5s");
 * ```
 *
 * @module
 */
import { SockitError } from "./errors.ts";
import { showValue } from "./show_value.ts";

/** Formats milliseconds for people: `500ms`, `2s`, `1.5s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Number((ms / 1000).toFixed(3))}s`;
}

/** Parses a duration such as `500ms`, `2s`, `1.5s`, `1m` or a bare number of seconds into ms. */
export function parseDuration(text: string, action: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) {
    throw new SockitError(`Cannot ${action}: bad duration ${showValue(text)}`, {
      code: "usage",
      hint: "use e.g. 500ms, 2s, 1.5s or 1m",
    });
  }
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return unit === "ms" ? n : unit === "s" ? n * 1000 : n * 60_000;
}
