/**
 * How an error message shows a value the user typed: on one line, and short. Every error that
 * echoes input goes through {@linkcode showValue}, so a 200,000-character line or one holding
 * CR/LF still gives a one-line error of sensible length.
 *
 * @example A long value with line breaks
 * ```ts
 * import assert from "node:assert/strict";
 * import { showValue } from "./show_value.ts";
 *
 * assert.equal(showValue("abc"), '"abc"');
 * assert.equal(showValue("a\r\nb\x1b"), '"a\\r\\nb\\x1b"');
 * const long = showValue("x".repeat(200_000));
 * assert.equal(long, `"${"x".repeat(59)}…" (199941 more characters)`);
 * assert.equal(showValue("--flag", { quotes: false }), "--flag");
 * ```
 *
 * @module
 */

/** How {@linkcode showValue} shows a value; all optional. */
export interface ShowOptions {
  /** The most characters shown of the value, escapes included (default 60). */
  max?: number;
  /** Wrap the value in double quotes (default true); the count of what was cut follows them. */
  quotes?: boolean;
}

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0" };

/** The escaped form of one character, or the character itself when it is printable. */
function escape(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) return "\\x" + code.toString(16).padStart(2, "0");
  // C1 controls, and the Unicode line and paragraph separators, which also break lines.
  if ((code >= 0x80 && code < 0xa0) || code === 0x2028 || code === 0x2029) {
    return "\\u" + code.toString(16).padStart(4, "0");
  }
  return ch;
}

/**
 * Shows `value` for an error message: control characters escaped (`\n`, `\r`, `\t`, `\0`,
 * `\xHH`, `\uHHHH`) so the message stays one line, cut after `max` characters with `…` and a
 * count of the characters left out, in double quotes unless `quotes` is false.
 */
export function showValue(value: string, options: ShowOptions = {}): string {
  const max = options.max ?? 60;
  const open = options.quotes === false ? "" : '"';
  let out = "";
  let shown = 0;
  let cut = false;
  for (const ch of value) {
    const e = escape(ch);
    if (
      out.length + e.length > max ||
      (out.length + e.length === max && shown + ch.length < value.length)
    ) {
      cut = true;
      break;
    }
    out += e;
    shown += ch.length;
  }
  if (!cut) return open + out + open;
  const rest = [...value.slice(shown)].length;
  return `${open}${out}…${open} (${rest} more character${rest === 1 ? "" : "s"})`;
}
