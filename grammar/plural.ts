/**
 * A count and its noun, singular for exactly one: `1 byte`, `2 bytes`, `0 peers`. The one place
 * printed counts get their wording.
 *
 * @example Singular and plural
 * ```ts
 * import assert from "node:assert/strict";
 * import { plural } from "./plural.ts";
 * assert.equal(plural(1, "byte"), "1 byte");
 * assert.equal(plural(6, "byte"), "6 bytes");
 * assert.equal(plural(0, "connection"), "0 connections");
 * assert.equal(plural(2, "match", "matches"), "2 matches");
 * ```
 */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}
