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

/**
 * Stable bytes: a buffer that nobody writes again once its producer has handed it on. It lives
 * in a SharedArrayBuffer, so a consumer on another thread (the log writer) reads it where it is,
 * with no copy. `send @file` to a logged socket reads each chunk into one. Such buffers come
 * from a pool: {@link stableBytes} hands one out held once, {@link retain} holds it once more
 * (the logger, until its writer is done), and each holder's {@link release} lets it go; the
 * last release returns it to the pool. (Allocating a fresh SharedArrayBuffer per chunk cost
 * more than logging the chunk.)
 *
 * @example A chunk is reused once its producer and the logger are both done with it
 * ```ts
 * import assert from "node:assert/strict";
 * import { isStable, release, retain, stableBytes } from "./bytes.ts";
 * const chunk = stableBytes(16);
 * assert(isStable(chunk.subarray(2, 4)) && !isStable(new Uint8Array(16)));
 * retain(chunk); // the logger keeps it
 * release(chunk); // the producer is done
 * assert.notEqual(stableBytes(16).buffer, chunk.buffer); // still held
 * release(chunk); // the logger is done
 * assert.equal(stableBytes(16).buffer, chunk.buffer); // reused
 * ```
 */
export function stableBytes(size: number): Uint8Array<SharedArrayBuffer> {
  const free = pool.get(size);
  const buffer = free?.pop() ?? new SharedArrayBuffer(size);
  holders.set(buffer, 1);
  return new Uint8Array(buffer);
}

/** Whether `bytes` are stable (from {@link stableBytes}): they may be kept without a copy. */
export function isStable(bytes: Uint8Array): boolean {
  return bytes.buffer instanceof SharedArrayBuffer && holders.has(bytes.buffer);
}

/** Holds the stable buffer of `bytes` once more, until a matching {@link release}. */
export function retain(bytes: Uint8Array): void {
  const n = holders.get(bytes.buffer as SharedArrayBuffer);
  if (n !== undefined) holders.set(bytes.buffer as SharedArrayBuffer, n + 1);
}

/** Lets the stable buffer of `bytes` go; the last holder's release returns it to the pool. */
export function release(bytes: Uint8Array): void {
  const buffer = bytes.buffer as SharedArrayBuffer;
  const n = holders.get(buffer);
  if (n === undefined) return;
  if (n > 1) return void holders.set(buffer, n - 1);
  holders.delete(buffer);
  let free = pool.get(buffer.byteLength);
  if (!free) pool.set(buffer.byteLength, free = []);
  if (free.length < POOL_SIZE) free.push(buffer);
}

/** How many free buffers of one size the pool keeps (the log writer holds at most 16 MiB). */
const POOL_SIZE = 24;
const pool = new Map<number, SharedArrayBuffer[]>();
const holders = new Map<SharedArrayBuffer, number>();
