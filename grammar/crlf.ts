/**
 * Line-ending translation for `--crlf`: every `\n` that is not already preceded by `\r` becomes
 * `\r\n`, remembering the last byte of the previous chunk, so a `\r\n` split across two reads is
 * never doubled.
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;

/**
 * Translates `\n` to `\r\n` chunk by chunk, keeping an existing `\r\n` as it is (also when the
 * `\r` ended the previous chunk). A chunk without `\n` is returned as it is (no copy).
 *
 * @example A CRLF split across two chunks stays one CRLF
 * ```ts
 * import assert from "node:assert/strict";
 * import { CrlfTranslator } from "./crlf.ts";
 * const crlf = new CrlfTranslator();
 * const text = (b: Uint8Array) => new TextDecoder().decode(b);
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * assert.equal(text(crlf.push(bytes("a\nb\r"))), "a\r\nb\r");
 * assert.equal(text(crlf.push(bytes("\nc\n"))), "\nc\r\n");
 * ```
 */
export class CrlfTranslator {
  #lastWasCr = false;

  /** The chunk with bare `\n` turned into `\r\n`. */
  push(chunk: Uint8Array): Uint8Array {
    if (chunk.length === 0) return chunk;
    let bare = 0;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      if (!(i === 0 ? this.#lastWasCr : chunk[i - 1] === CR)) bare++;
    }
    const before = this.#lastWasCr;
    this.#lastWasCr = chunk[chunk.length - 1] === CR;
    if (bare === 0) return chunk;
    const out = new Uint8Array(chunk.length + bare);
    let o = 0;
    let from = 0;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      if (i === 0 ? before : chunk[i - 1] === CR) continue;
      out.set(chunk.subarray(from, i), o);
      o += i - from;
      out[o++] = CR;
      from = i;
    }
    out.set(chunk.subarray(from), o);
    return out;
  }
}
