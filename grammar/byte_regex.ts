/**
 * Regexes over bytes. Reads match a regex against the received bytes as latin1 text (one
 * character per byte), so binary patterns (`\x00\xff`) match byte for byte; a character beyond
 * ASCII typed in the pattern (`/héllo/`) stands for its UTF-8 bytes, so text matches as people
 * expect it to, with byte offsets that stay exact.
 *
 * @example UTF-8 text in a pattern matches the bytes a peer sent
 * ```ts
 * import assert from "node:assert/strict";
 * import { byteRegex } from "./byte_regex.ts";
 * import { latin1 } from "./bytes.ts";
 * const bytes = new TextEncoder().encode("héllo wörld\n");
 * const m = byteRegex(/héllo/).exec(latin1(bytes));
 * assert.equal(m?.index, 0);
 * assert.equal(m?.[0].length, 6); // h, é as two bytes, llo
 * ```
 *
 * @module
 */
import { SockitError } from "./errors.ts";

const encoder = new TextEncoder();

/** `\xHH` escapes of a character's UTF-8 bytes, grouped so a quantifier applies to all. */
function utf8Escapes(char: string): string {
  const hex = [...encoder.encode(char)].map((b) => `\\x${b.toString(16).padStart(2, "0")}`);
  return `(?:${hex.join("")})`;
}

/**
 * The regex with every non-ASCII character of its source turned into its UTF-8 bytes, for
 * matching latin1 text. `g` is dropped (reads never resume), other flags kept. A non-ASCII
 * character inside `[…]` is refused: a class matches one byte, and such a character is several
 * (write `(?:é|è)`, or the bytes as `\xHH`).
 */
export function byteRegex(re: RegExp): RegExp {
  const source = re.source;
  if (!/[^\p{ASCII}]/u.test(source)) return new RegExp(source, re.flags.replace("g", ""));
  let out = "";
  let inClass = false;
  for (let i = 0; i < source.length;) {
    const c = String.fromCodePoint(source.codePointAt(i)!);
    if (c === "\\") {
      out += source.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === "[" && !inClass) inClass = true;
    else if (c === "]" && inClass) inClass = false;
    if (c.codePointAt(0)! > 0x7f) {
      if (inClass) {
        throw new SockitError(
          `Cannot match /${source}/: "${c}" inside [...] is several bytes in UTF-8`,
          { code: "usage", hint: "write alternatives as (?:é|è), or bytes as \\xHH" },
        );
      }
      out += utf8Escapes(c);
    } else out += c;
    i += c.length;
  }
  return new RegExp(out, re.flags.replace("g", ""));
}

/**
 * The text of a match over latin1 text, decoded as UTF-8 (a capture of `é` is `é`, not its two
 * bytes as latin1); bytes that are not UTF-8 become U+FFFD.
 */
export function matchedText(latin1Text: string): string {
  const bytes = Uint8Array.from(latin1Text, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
