/**
 * Byte helpers shared by the receive buffer, the datagram queue, framing and `send`.
 *
 * @example Finding a delimiter and joining chunks
 * ```ts
 * import assert from "node:assert/strict";
 * import { concatBytes, indexOfBytes, latin1 } from "./bytes.ts";
 * const data = concatBytes([new TextEncoder().encode("a\r"), new TextEncoder().encode("\nb")]);
 * assert(indexOfBytes(data, new Uint8Array([13, 10])) === 1);
 * assert(latin1(new Uint8Array([0xff])) === "\xff");
 * ```
 *
 * @module
 */

/** Index of `needle` in `hay[from, to)`, or -1. */
export function indexOfBytes(
  hay: Uint8Array,
  needle: Uint8Array,
  from = 0,
  to = hay.length,
): number {
  const first = needle[0];
  const last = to - needle.length;
  for (let i = hay.indexOf(first, from); i !== -1 && i <= last; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

const LATIN1_CHUNK = 8192;

/** Decodes bytes to a string with one char per byte (latin1 / ISO-8859-1, not windows-1252). */
export function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += LATIN1_CHUNK) {
    s += String.fromCharCode.apply(
      null,
      bytes.subarray(i, i + LATIN1_CHUNK) as unknown as number[],
    );
  }
  return s;
}

/** The chunks joined into one array (the chunk itself when there is only one). */
export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
