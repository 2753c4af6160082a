/**
 * What the stream buffer and the datagram view share so that they cannot drift apart: the
 * checks of a read's arguments, the choice among several delimiters, and regex flags.
 *
 * @module
 */

import { byteRegex } from "../grammar/byte_regex.ts";
import { indexOfBytes } from "../grammar/bytes.ts";
import { SockitError } from "../grammar/errors.ts";

/** Throws unless `max` is a positive integer (or Infinity): `recv 0` is a usage error. */
export function checkRecvMax(max: number): void {
  if (!(max >= 1) || (!Number.isInteger(max) && max !== Infinity)) {
    throw new SockitError(`Cannot recv ${max} bytes: the count must be a positive integer`, {
      code: "usage",
    });
  }
}

/** Throws unless `n` is an integer >= 0. */
export function checkExactCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new SockitError(`Cannot recvExact ${n} bytes: the count must be an integer >= 0`, {
      code: "usage",
    });
  }
}

/** The delimiters as a non-empty list of non-empty byte strings, or a usage error. */
export function delimiterList(delims: Uint8Array | Uint8Array[]): Uint8Array[] {
  const list = delims instanceof Uint8Array ? [delims] : [...delims];
  if (list.length === 0) {
    throw new SockitError("Cannot recvUntil: no delimiter given", { code: "usage" });
  }
  if (list.some((d) => d.length === 0)) {
    throw new SockitError("Cannot recvUntil an empty delimiter", { code: "usage" });
  }
  return list;
}

/**
 * The delimiter occurrence in `bytes[start, end)` that ends first (on a tie the longest, which is
 * the one that starts first). Only occurrences ending after `from` + its length - 1 are looked
 * for, so a caller that already searched up to `from` does not search again. Returns the end
 * index (exclusive) and the delimiter's length, or undefined.
 */
export function earliestDelimiter(
  bytes: Uint8Array,
  list: Uint8Array[],
  from: number,
  end: number,
  start = 0,
): { end: number; length: number } | undefined {
  let best: { end: number; length: number } | undefined;
  for (const d of list) {
    const i = indexOfBytes(bytes, d, Math.max(start, from - d.length + 1), end);
    if (i === -1) continue;
    const e = i + d.length;
    if (!best || e < best.end || (e === best.end && d.length > best.length)) {
      best = { end: e, length: d.length };
    }
  }
  return best;
}

/**
 * A copy of `re` for buffer reads: `g` dropped (reads never resume), `y` kept, and non-ASCII
 * characters matched as their UTF-8 bytes (see grammar/byte_regex.ts).
 */
export function readRegex(re: RegExp): RegExp {
  return byteRegex(re);
}

/** The regexes of a read as a non-empty list of {@link readRegex} copies, or a usage error. */
export function regexList(re: RegExp | RegExp[]): RegExp[] {
  const list = re instanceof RegExp ? [re] : [...re];
  if (list.length === 0) {
    throw new SockitError("Cannot recvMatch: no regex given", { code: "usage" });
  }
  return list.map(readRegex);
}

/**
 * The match that starts first in `text` among `list` (on a tie, the first listed: as one regex
 * `A|B` would choose), with its index in the list; undefined when none matches.
 */
export function firstMatch(
  list: RegExp[],
  text: string,
): { match: RegExpExecArray; alternative: number } | undefined {
  let best: { match: RegExpExecArray; alternative: number } | undefined;
  list.forEach((rx, alternative) => {
    rx.lastIndex = 0;
    const match = rx.exec(text);
    if (match && (!best || match.index < best.match.index)) best = { match, alternative };
  });
  return best;
}
