/**
 * The shell's line tokenizer: splits one command line into words and quoted strings, keeping
 * enough position information (columns, whether a token is glued to the previous one) for the
 * payload join rule and for error messages.
 *
 * - Tokens are separated by whitespace. A `"` or `'` starts a quoted token even in the middle of
 *   a word, so `hello"\n"` is two tokens, the second glued to the first (`spaceBefore: false`).
 * - Double-quoted text keeps its escapes undecoded (see `decodeEscapes` in `payload.ts`); inside
 *   it `\"` does not end the string. Single-quoted text is literal: no escapes at all.
 * - A `#` that starts a bare token at line start or after whitespace begins a comment that runs
 *   to the end of the line.
 *
 * @example Tokenizing a one-liner
 * ```ts
 * import { splitStatements, type Token, tokenize } from "./tokenize.ts";
 * import assert from "node:assert/strict";
 *
 * const [open, send]: Token[][] = splitStatements('open tcp a :7; send a hello"\\n" # hi')
 *   .map(tokenize);
 * assert.deepEqual(open.map((t) => t.text), ["open", "tcp", "a", ":7"]);
 * assert.deepEqual(send.map((t) => t.text), ["send", "a", "hello", "\\n"]);
 * assert.equal(send[3].quoted, true);
 * assert.equal(send[3].spaceBefore, false);
 * ```
 *
 * @module
 */

import { SockitError } from "./errors.ts";
import { showValue } from "./show_value.ts";

/**
 * One word or quoted string of a command line.
 *
 * @example The words of a command line
 * ```ts
 * import assert from "node:assert/strict";
 * import { type Token, tokenize } from "./tokenize.ts";
 * const tokens: Token[] = tokenize('send a "hi there"');
 * assert.deepEqual(tokens.map((t) => [t.text, t.quoted, t.start]), [
 *   ["send", false, 0],
 *   ["a", false, 5],
 *   ["hi there", true, 7],
 * ]);
 * ```
 */
export interface Token {
  /** For bare tokens the word; for quoted ones the raw content between the quotes (escapes not decoded). */
  text: string;
  /** Whether the token was written in `"double"` or `'single'` quotes. */
  quoted: boolean;
  /** The quote character, for quoted tokens only. */
  quote?: '"' | "'";
  /** Whitespace or the line start precedes the token; `false` when glued to the previous token. */
  spaceBefore: boolean;
  /** Column of the token's first character (0-based, including an opening quote). */
  start: number;
  /** Column just after the token's last character (exclusive, including a closing quote). */
  end: number;
}

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\f" || c === "\v";
}

/**
 * Index just after the closing quote of the string opened at `open`, or -1 when unterminated.
 * In double quotes a backslash protects the next character.
 */
function skipQuoted(line: string, open: number, limit = line.length): number {
  const q = line[open];
  for (let i = open + 1; i < limit; i++) {
    const c = line[i];
    if (q === '"' && c === "\\") i++;
    else if (c === q) return i + 1;
  }
  return -1;
}

/**
 * Splits one command line into tokens.
 *
 * Throws a `SockitError` for an unterminated quote, naming the 1-based column of the opening
 * quote and the rest of the line: `Unterminated string starting at column 8: "abc`.
 *
 * @example Quoted strings keep their raw text
 * ```ts
 * import { splitStatements, type Token, tokenize } from "./tokenize.ts";
 * import assert from "node:assert/strict";
 *
 * const [line] = splitStatements(`"tab\\there" 'no\\escapes'`);
 * const [a, b]: Token[] = tokenize(line);
 * assert.equal(a.text, "tab\\there");
 * assert.equal(a.quote, '"');
 * assert.equal(b.text, "no\\escapes");
 * assert.deepEqual([b.start, b.end], [12, 24]);
 * ```
 */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let spaceBefore = true;
  while (i < line.length) {
    const c = line[i];
    if (isSpace(c)) {
      spaceBefore = true;
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = skipQuoted(line, i);
      if (end < 0) {
        throw new SockitError(
          `Unterminated string starting at column ${i + 1}: ${
            showValue(line.slice(i), { quotes: false })
          }`,
          { code: "unterminated", hint: `close it with ${c}`, column: i + 1 },
        );
      }
      tokens.push({
        text: line.slice(i + 1, end - 1),
        quoted: true,
        quote: c,
        spaceBefore,
        start: i,
        end,
      });
      i = end;
      spaceBefore = false;
      continue;
    }
    if (c === "#" && spaceBefore) break; // comment to end of line
    let j = i;
    while (j < line.length && !isSpace(line[j]) && line[j] !== '"' && line[j] !== "'") j++;
    tokens.push({ text: line.slice(i, j), quoted: false, spaceBefore, start: i, end: j });
    i = j;
    spaceBefore = false;
  }
  return tokens;
}

/**
 * Splits a source text into statements on unquoted `;` and on newlines, trimming each and
 * dropping empty ones (as used by `sockit -c 'a; b'`).
 *
 * Quotes and comments are respected: a `;` inside a quoted string or after a `#` comment start
 * does not split. A newline always ends a statement, even inside an unterminated quote (which
 * `tokenize` then reports).
 *
 * @example Splitting a one-liner
 * ```ts
 * import { splitStatements, type Token, tokenize } from "./tokenize.ts";
 * import assert from "node:assert/strict";
 *
 * const statements = splitStatements('open tcp a :7; send a "x;y"\n\n recv a ; # done; ok');
 * assert.deepEqual(statements, ["open tcp a :7", 'send a "x;y"', "recv a", "# done; ok"]);
 * const comment: Token[] = tokenize(statements[3]);
 * assert.equal(comment.length, 0);
 * ```
 */
export function splitStatements(source: string): string[] {
  const statements: string[] = [];
  let from = 0;
  let spaceBefore = true;
  let inComment = false;
  const cut = (to: number) => {
    const s = source.slice(from, to).trim();
    if (s !== "") statements.push(s);
    from = to + 1;
    spaceBefore = true;
    inComment = false;
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === "\n") {
      cut(i);
      i++;
      continue;
    }
    if (inComment) {
      i++;
      continue;
    }
    if (c === ";") {
      cut(i);
      i++;
      continue;
    }
    if (isSpace(c)) {
      spaceBefore = true;
      i++;
      continue;
    }
    if (c === "#" && spaceBefore) {
      inComment = true;
      i++;
      continue;
    }
    spaceBefore = false;
    if (c === '"' || c === "'") {
      const nl = source.indexOf("\n", i);
      const lineEnd = nl < 0 ? source.length : nl;
      const end = skipQuoted(source, i, lineEnd);
      i = end < 0 ? lineEnd : end;
      continue;
    }
    i++;
  }
  cut(source.length);
  return statements;
}
