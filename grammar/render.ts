/**
 * The canonical, re-parseable display of received bytes.
 *
 * Text (valid UTF-8 whose only control characters are `\n`, `\r` and `\t`) is shown as one
 * double-quoted string, using the same escapes a `send` literal accepts; anything else is shown as
 * a `hexdump -C` style dump. {@linkcode parseRendered} reads either form back, so what the
 * terminal shows (and a recording stores) is a valid expectation.
 *
 * @example Text and binary
 * ```ts
 * import {
 *   type DisplayMode,
 *   hexdump,
 *   isHexdumpLine,
 *   isText,
 *   parseRendered,
 *   quote,
 *   render,
 * } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * // Text is one quoted string, using the escapes of a send literal.
 * const hello = new TextEncoder().encode('say "hi"\r\n');
 * assert.equal(isText(hello), true);
 * assert.equal(render(hello), '"say \\"hi\\"\\r\\n"');
 *
 * // Binary is a hexdump; quote() still shows it on one line.
 * const binary = new Uint8Array([0, 1, 0x41, 0xff]);
 * assert.equal(isText(binary), false);
 * assert.equal(render(binary), "00000000  00 01 41 ff" + " ".repeat(39) + "|..A.|");
 * assert.equal(render(binary), hexdump(binary));
 * assert.equal(quote(binary), '"\\0\\x01A\\xff"');
 * assert.equal(isHexdumpLine(render(binary)), true);
 *
 * // Both forms read back to the same bytes, in every mode.
 * for (const mode of ["auto", "text", "hex"] satisfies DisplayMode[]) {
 *   assert.deepEqual(parseRendered(render(hello, mode)), hello);
 *   assert.deepEqual(parseRendered(render(binary, mode)), binary);
 * }
 * ```
 *
 * @module
 */

import { showValue } from "./show_value.ts";
import { SockitError } from "./errors.ts";
import { decodeEscapes } from "./payload.ts";
import { tokenize } from "./tokenize.ts";

/**
 * How received bytes are shown: `auto` picks text or hex per chunk; the others force one form.
 *
 * @example The three display modes
 * ```ts
 * import assert from "node:assert/strict";
 * import { type DisplayMode, render } from "./render.ts";
 * const bytes = new TextEncoder().encode("ok");
 * const shown = (["auto", "text", "hex"] as DisplayMode[]).map((mode) => render(bytes, mode));
 * assert.deepEqual(shown.slice(0, 2), ['"ok"', '"ok"']);
 * assert.match(shown[2], /^00000000  6f 6b /);
 * ```
 */
export type DisplayMode = "auto" | "text" | "hex";

/**
 * Length of the valid UTF-8 sequence starting at `i` (1–4), or 0 if the bytes there are not
 * valid UTF-8 (bad lead byte, bad or missing continuation, overlong form, surrogate, > U+10FFFF).
 */
function utf8Length(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  if (b < 0x80) return 1;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) n = 2;
  else if (b >= 0xe0 && b <= 0xef) {
    n = 3;
    if (b === 0xe0) lo = 0xa0; // no overlong forms
    if (b === 0xed) hi = 0x9f; // no surrogates
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 4;
    if (b === 0xf0) lo = 0x90; // no overlong forms
    if (b === 0xf4) hi = 0x8f; // nothing above U+10FFFF
  } else return 0;
  if (i + n > bytes.length) return 0;
  const second = bytes[i + 1];
  if (second < lo || second > hi) return 0;
  for (let k = 2; k < n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return 0;
  return n;
}

/** A C0 control, DEL, or (as the second byte of `C2 xx`) a C1 control. */
function isControlAt(bytes: Uint8Array, i: number, n: number): boolean {
  const b = bytes[i];
  if (n === 1) return b < 0x20 || b === 0x7f;
  return n === 2 && b === 0xc2 && bytes[i + 1] < 0xa0;
}

/**
 * Whether bytes are shown as text: valid UTF-8 with no control characters (C0, DEL, C1) other
 * than `\n`, `\r` and `\t`. So typical line protocols (HTTP, SMTP, Redis) are text, and anything
 * with a NUL or escape byte is shown as a hexdump.
 */
export function isText(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length;) {
    const n = utf8Length(bytes, i);
    if (n === 0) return false;
    if (isControlAt(bytes, i, n)) {
      const b = bytes[i];
      if (b !== 0x0a && b !== 0x0d && b !== 0x09) return false;
    }
    i += n;
  }
  return true;
}

const hex2 = (b: number) => b.toString(16).padStart(2, "0");

const quoteEscapes: Record<number, string> = {
  0x0a: "\\n",
  0x0d: "\\r",
  0x09: "\\t",
  0x00: "\\0",
  0x5c: "\\\\",
  0x22: '\\"',
};

/**
 * Characters that change how text around them looks without showing themselves: the bidi
 * controls (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069, which can make a transcript read
 * in another order than its bytes), zero-width and invisible characters (U+00AD, U+180E,
 * U+200B–U+200D, U+2060–U+2064, U+FEFF) and the line and paragraph separators (U+2028/9).
 */
const INVISIBLE =
  /^[\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]$/;

/** The code point of the n-byte UTF-8 sequence at `i` (already checked valid). */
function codePointAt(bytes: Uint8Array, i: number, n: number): number {
  let cp = bytes[i] & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) cp = (cp << 6) | (bytes[i + k] & 0x3f);
  return cp;
}

/**
 * Shows bytes as one double-quoted string: `\n \r \t \0 \\ \"` are escaped, other control bytes
 * (C0, DEL, the bytes of C1 controls) and bytes that are not valid UTF-8 become `\xHH`, bidi
 * controls and invisible characters (U+202E, U+200B, …) become `\u{202e}`, and other printable
 * UTF-8 is kept as is. `decodeEscapes(quote(b).slice(1, -1))` gives back `b`.
 *
 * @example A right-to-left override cannot reorder a transcript
 * ```ts
 * import assert from "node:assert/strict";
 * import { quote } from "./render.ts";
 * assert.equal(quote(new TextEncoder().encode("abc\u202Edef")), '"abc\\u{202e}def"');
 * ```
 */
export function quote(bytes: Uint8Array): string {
  let out = '"';
  let runStart = 0; // start of a run of printable non-ASCII UTF-8, decoded in one go
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  let i = 0;
  const flushRun = () => {
    if (runStart < i) out += decoder.decode(bytes.subarray(runStart, i));
  };
  while (i < bytes.length) {
    const b = bytes[i];
    const n = utf8Length(bytes, i);
    if (n > 1 && !isControlAt(bytes, i, n)) {
      const cp = codePointAt(bytes, i, n);
      if (!INVISIBLE.test(String.fromCodePoint(cp))) {
        i += n;
        continue;
      }
      flushRun();
      out += `\\u{${cp.toString(16)}}`;
      i += n;
      runStart = i;
      continue;
    }
    flushRun();
    if (n === 0 || isControlAt(bytes, i, n) || b in quoteEscapes) {
      const count = n === 0 ? 1 : n;
      for (let k = 0; k < count; k++) {
        out += quoteEscapes[bytes[i + k]] ?? "\\x" + hex2(bytes[i + k]);
      }
      i += count;
    } else {
      out += String.fromCharCode(b);
      i++;
    }
    runStart = i;
  }
  flushRun();
  return out + '"';
}

/** One dump line: offset, two groups of 8 hex bytes, the ASCII gutter. */
function dumpLine(off: number, row: Uint8Array): string {
  const cols = Array.from(row, hex2);
  const left = cols.slice(0, 8).join(" ").padEnd(23);
  const right = cols.slice(8).join(" ").padEnd(23);
  const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "."))
    .join("");
  return `${offset(off)}  ${left}  ${right}  |${ascii}|`;
}

const offset = (n: number) => n.toString(16).padStart(8, "0");

/** Whether the 16 bytes at `a` and at `b` are the same. */
function sameRow(bytes: Uint8Array, a: number, b: number): boolean {
  for (let k = 0; k < 16; k++) if (bytes[a + k] !== bytes[b + k]) return false;
  return true;
}

/**
 * A `hexdump -C` style dump: 16 bytes a line in two groups of 8, an 8-digit hex offset and an
 * ASCII gutter (`.` for anything not printable ASCII), lines joined with `"\n"` and no trailing
 * newline. Empty input gives an empty string.
 *
 * As `hexdump -C` does, full lines that repeat the line before are squeezed into one `*` line,
 * and a dump that squeezed anything ends with a line holding only the total length, so that
 * {@linkcode parseRendered} reads every byte back.
 *
 * @example 64 zero bytes take three lines
 * ```ts
 * import assert from "node:assert/strict";
 * import { hexdump, parseRendered } from "./render.ts";
 * const zeros = new Uint8Array(64);
 * const lines = hexdump(zeros).split("\n");
 * assert.deepEqual(lines.slice(1), ["*", "00000040"]);
 * assert.deepEqual(parseRendered(hexdump(zeros)), zeros);
 * ```
 */
export function hexdump(bytes: Uint8Array): string {
  const lines: string[] = [];
  let squeezing = false;
  let squeezed = false;
  for (let off = 0; off < bytes.length; off += 16) {
    const full = off + 16 <= bytes.length;
    if (off >= 16 && full && sameRow(bytes, off - 16, off)) {
      if (!squeezing) lines.push("*");
      squeezing = squeezed = true;
      continue;
    }
    squeezing = false;
    lines.push(dumpLine(off, bytes.subarray(off, off + 16)));
  }
  if (squeezed) lines.push(offset(bytes.length));
  return lines.join("\n");
}

/**
 * Renders received bytes: `auto` (the default) quotes text and hexdumps anything else, `text`
 * always quotes, `hex` always hexdumps. Empty input is `""` in every mode.
 *
 * @example Text is quoted, binary hexdumped
 * ```ts
 * import assert from "node:assert/strict";
 * import { render } from "./render.ts";
 * assert.equal(render(new TextEncoder().encode("hi\n")), '"hi\\n"');
 * assert.match(render(new Uint8Array([0, 255])), /^00000000  00 ff /);
 * ```
 */
export function render(bytes: Uint8Array, mode: DisplayMode = "auto"): string {
  if (bytes.length === 0) return '""';
  if (mode === "text" || (mode === "auto" && isText(bytes))) return quote(bytes);
  return hexdump(bytes);
}

const hexdumpLine = /^\s*[0-9a-fA-F]{8,}((?:\s+[0-9a-fA-F]{2}){1,16})\s*(?:\|.*\|\s*)?$/;

/**
 * Whether a line looks like one line of {@linkcode hexdump} output: an offset of at least 8 hex
 * digits, 1 to 16 two-digit hex bytes, and optionally an `|ascii|` gutter (whose content is not
 * checked). Extra whitespace is tolerated.
 */
export function isHexdumpLine(line: string): boolean {
  return hexdumpLine.test(line);
}

/**
 * Reads back what {@linkcode render} shows: either one double-quoted string (escapes as in
 * `decodeEscapes`) or one or more hexdump lines, of which only the hex byte columns count (the
 * offsets and the `|ascii|` gutter are ignored, blank lines are skipped, and a final line holding
 * only an offset, as `hexdump -C` prints, is allowed). A `*` line, as {@linkcode hexdump} and
 * `hexdump -C` squeeze repeats, stands for the line before repeated up to the next line's offset.
 * Throws a `SockitError` on anything else.
 *
 * @example What render shows reads back to the same bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRendered, render } from "./render.ts";
 * const bytes = new Uint8Array([0, 1, 104, 105]);
 * assert.deepEqual(parseRendered(render(bytes)), bytes);
 * assert.deepEqual(parseRendered('"hi\\n"'), new TextEncoder().encode("hi\n"));
 * ```
 */
export function parseRendered(text: string): Uint8Array {
  const trimmed = text.trim();
  if (trimmed.startsWith('"')) {
    if (/[\r\n]/.test(trimmed)) {
      throw new SockitError(
        `Bad quoted bytes ${showValue(trimmed, { quotes: false })}: must be on one line`,
        {
          code: "usage",
        },
      );
    }
    const tokens = tokenize(trimmed);
    if (tokens.length !== 1 || tokens[0].quote !== '"') {
      throw new SockitError(
        `Bad quoted bytes ${showValue(trimmed, { quotes: false })}: expected one "quoted" string`,
        {
          code: "usage",
        },
      );
    }
    return decodeEscapes(tokens[0].text);
  }
  const lines = trimmed.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (lines.length === 0) {
    throw new SockitError(`Bad rendered bytes "": expected a "quoted" string or hexdump lines`, {
      code: "usage",
    });
  }
  const out: number[] = [];
  let previous: number[] = [];
  let squeezed = false;
  // After a `*` line, the line before repeats up to the offset of the next line.
  const fillTo = (at: number, line: string) => {
    if (!squeezed) return;
    squeezed = false;
    const missing = at - out.length;
    if (previous.length !== 16 || missing < 0 || missing % 16 !== 0) {
      throw new SockitError(
        `Bad hexdump line ${
          showValue(line.trim())
        }: offset ${at} does not follow the squeezed lines`,
      );
    }
    for (let k = 0; k < missing; k += 16) out.push(...previous);
  };
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "*" && index > 0) {
      squeezed = true;
      continue;
    }
    const offsetOnly = /^\s*([0-9a-fA-F]{8,})\s*$/.exec(line);
    if (offsetOnly && index === lines.length - 1 && index > 0) {
      fillTo(parseInt(offsetOnly[1], 16), line);
      continue;
    }
    const m = hexdumpLine.exec(line);
    if (!m) {
      const what = lines.length === 1 ? "rendered bytes" : `hexdump line ${index + 1}`;
      throw new SockitError(
        `Bad ${what} ${showValue(line.trim())}: expected a "quoted" string or hexdump lines`,
        { code: "usage" },
      );
    }
    fillTo(parseInt(/[0-9a-fA-F]+/.exec(line)![0], 16), line);
    previous = m[1].trim().split(/\s+/).map((h) => parseInt(h, 16));
    out.push(...previous);
  }
  if (squeezed) {
    throw new SockitError(`Bad hexdump: "*" must be followed by a line with an offset`);
  }
  return new Uint8Array(out);
}

/** A short one-line preview of bytes for error messages. */
export function preview(data: Uint8Array, max = 40): string {
  const head = render(data.subarray(0, max), "text");
  return data.length > max ? `${head}…` : head;
}
