/**
 * Payload literals: how the words after `send a ...` become bytes.
 *
 * | literal | bytes |
 * |---|---|
 * | `hello` (bare word) | its UTF-8 bytes |
 * | `"a\tb\n"` | escapes decoded: `\n \r \t \0 \\ \" \' \e \xHH \u{H…}` |
 * | `'a\tb'` | literal UTF-8, no escapes |
 * | `hex:48656c6c6f`, `hex:48_65:6c` | hex digits, even count; `_` and `:` are ignored |
 * | `b64:aGk=` | standard base64 with `=` padding |
 * | `@path` | the file's contents, read when sending |
 *
 * Join rule: two neighbouring literals are separated by one space (0x20) if and only if both are
 * bare words and the second is preceded by whitespace. Everything else joins with nothing.
 *
 * @example From a command line to bytes
 * ```ts
 * import { tokenize } from "./tokenize.ts";
 * import {
 *   decodeEscapes,
 *   parseLiteral,
 *   parsePayload,
 *   type PayloadPart,
 *   payloadBytes,
 *   payloadSize,
 * } from "./payload.ts";
 * import assert from "node:assert/strict";
 *
 * const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
 *
 * // The join rule: a space only between bare words written apart.
 * const line = 'hello world"\\n" hex:41 b64:Qg== @body.txt';
 * const parts: PayloadPart[] = parsePayload(tokenize(line));
 * assert.equal(parts.length, 2);
 * assert.deepEqual(parts[1], { kind: "file", path: "body.txt" });
 *
 * // Files are read (or stat-ed) only when asked for.
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/body.txt`, "!");
 * const inDir = parts.map((p) => p.kind === "file" ? { ...p, path: `${dir}/${p.path}` } : p);
 * assert.equal(await payloadSize(inDir), 15);
 * assert.equal(text(await payloadBytes(inDir)), "hello world\nAB!");
 * await Deno.remove(dir, { recursive: true });
 *
 * // One literal at a time; \xHH is a raw byte, not a code point.
 * assert.deepEqual(parseLiteral(tokenize("hex:ff_00")[0]), {
 *   kind: "bytes",
 *   bytes: new Uint8Array([0xff, 0]),
 * });
 * assert.deepEqual(decodeEscapes("\\xff\\e"), new Uint8Array([0xff, 0x1b]));
 * ```
 *
 * @module
 */

import { concatBytes as concat } from "./bytes.ts";
import { SockitError } from "./errors.ts";
import type { Token } from "./tokenize.ts";

/** One piece of a payload: literal bytes, or a file whose contents are read when sending. */
export type PayloadPart = { kind: "bytes"; bytes: Uint8Array } | { kind: "file"; path: string };

const encoder = new TextEncoder();

/** Shortens a value for a one-line error message. */
function show(s: string, max = 60): string {
  const oneLine = s.replace(/[\r\n]/g, " ");
  return oneLine.length > max ? oneLine.slice(0, max - 1) + "…" : oneLine;
}

function hexValue(c: string): number {
  const n = c.charCodeAt(0);
  if (n >= 0x30 && n <= 0x39) return n - 0x30;
  if (n >= 0x61 && n <= 0x66) return n - 0x57;
  if (n >= 0x41 && n <= 0x46) return n - 0x37;
  return -1;
}

const simpleEscapes: Record<string, number> = {
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  "0": 0x00,
  "\\": 0x5c,
  '"': 0x22,
  "'": 0x27,
  e: 0x1b,
};

/**
 * Decodes the raw text of a double-quoted string into bytes.
 *
 * Escapes: `\n \r \t \0 \\ \" \'`, `\e` (0x1b), `\xHH` (exactly two hex digits, one raw
 * byte, so `\xff` is the byte 0xff, not `ÿ` in UTF-8) and `\u{H…}` (1 to 6 hex digits: that
 * code point in UTF-8, so `\u{202e}` is E2 80 AE). Every other character is encoded as UTF-8.
 * Any other escape throws a `SockitError` such as `Bad escape "\q" in "a\qb"`.
 */
export function decodeEscapes(raw: string): Uint8Array {
  if (!raw.includes("\\")) return encoder.encode(raw);
  const out: number[] = [];
  let from = 0;
  const flush = (to: number) => {
    if (to > from) { for (const b of encoder.encode(raw.slice(from, to))) out.push(b); }
  };
  for (let i = raw.indexOf("\\"); i >= 0; i = raw.indexOf("\\", from)) {
    flush(i);
    const c = raw[i + 1];
    if (c !== undefined && c in simpleEscapes) {
      out.push(simpleEscapes[c]);
      from = i + 2;
    } else if (c === "x") {
      const hi = i + 2 < raw.length ? hexValue(raw[i + 2]) : -1;
      const lo = i + 3 < raw.length ? hexValue(raw[i + 3]) : -1;
      if (hi < 0 || lo < 0) {
        throw new SockitError(`Bad escape "${raw.slice(i, i + 4)}" in "${show(raw)}"`, {
          hint: "\\x takes exactly two hex digits, e.g. \\x0a",
        });
      }
      out.push(hi * 16 + lo);
      from = i + 4;
    } else if (c === "u") {
      const m = /^\{([0-9a-fA-F]{1,6})\}/.exec(raw.slice(i + 2, i + 11));
      const cp = m ? parseInt(m[1], 16) : -1;
      if (!m || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        const shown = raw.slice(i, m ? i + 3 + m[0].length - 1 : i + 2);
        throw new SockitError(`Bad escape "${shown}" in "${show(raw)}"`, {
          code: "usage",
          hint: "\\u takes a code point in braces, e.g. \\u{202e} (at most 10ffff, no surrogates)",
        });
      }
      for (const b of encoder.encode(String.fromCodePoint(cp))) out.push(b);
      from = i + 2 + m[0].length;
    } else {
      const esc = c === undefined
        ? "\\"
        : raw.slice(i, i + (raw.codePointAt(i + 1)! > 0xffff ? 3 : 2));
      throw new SockitError(`Bad escape "${esc}" in "${show(raw)}"`, {
        hint: "valid escapes: \\n \\r \\t \\0 \\\\ \\\" \\' \\e \\xHH \\u{H…}",
      });
    }
  }
  flush(raw.length);
  return new Uint8Array(out);
}

function parseHex(word: string): Uint8Array {
  const digits: number[] = [];
  for (const c of word.slice(4)) {
    if (c === "_" || c === ":") continue;
    const v = c.length === 1 ? hexValue(c) : -1;
    if (v < 0) throw new SockitError(`Bad hex literal "${show(word)}": not a hex digit "${c}"`);
    digits.push(v);
  }
  if (digits.length % 2 !== 0) {
    throw new SockitError(
      `Bad hex literal "${show(word)}": odd number of hex digits (${digits.length})`,
      { hint: "each byte takes two hex digits, e.g. hex:0a" },
    );
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = digits[2 * i] * 16 + digits[2 * i + 1];
  return bytes;
}

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function parseBase64(word: string): Uint8Array {
  const text = word.slice(4);
  if (!base64Pattern.test(text)) {
    throw new SockitError(`Bad base64 literal "${show(word)}"`, {
      hint: "use standard base64 (A-Z a-z 0-9 + /) padded with = to a multiple of 4",
    });
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Whether a token is a bare word that is not a `hex:`, `b64:` or `@path` literal. */
function isPlainWord(token: Token): boolean {
  return !token.quoted && !token.text.startsWith("hex:") && !token.text.startsWith("b64:") &&
    !token.text.startsWith("@");
}

/**
 * Turns one token into a payload part.
 *
 * A bare word is its UTF-8 bytes unless it starts with `hex:`, `b64:` (lower case) or `@`
 * (a file reference; the path is read later by {@linkcode payloadBytes}). A double-quoted token
 * goes through {@linkcode decodeEscapes}; a single-quoted one is literal UTF-8. A quoted token is
 * never a prefix literal, so `"@home"` sends the text `@home`.
 */
export function parseLiteral(token: Token): PayloadPart {
  if (token.quoted) {
    const bytes = token.quote === "'" ? encoder.encode(token.text) : decodeEscapes(token.text);
    return { kind: "bytes", bytes };
  }
  const word = token.text;
  if (word.startsWith("hex:")) return { kind: "bytes", bytes: parseHex(word) };
  if (word.startsWith("b64:")) return { kind: "bytes", bytes: parseBase64(word) };
  if (word.startsWith("@")) {
    if (word.length === 1) {
      throw new SockitError(`Bad file reference "@": missing path`, {
        hint: 'write @path, or "@" to send the character',
      });
    }
    return { kind: "file", path: word.slice(1) };
  }
  return { kind: "bytes", bytes: encoder.encode(word) };
}

/**
 * Turns the payload tokens of a command into parts, applying the join rule: two neighbouring
 * tokens are separated by a single space (0x20) if and only if both are plain bare words (not
 * `hex:`, `b64:` or `@path`) and the second has `spaceBefore`. Quoted strings, prefix literals
 * and glued tokens join with nothing. Adjacent byte parts are merged into one.
 */
export function parsePayload(tokens: Token[]): PayloadPart[] {
  const parts: PayloadPart[] = [];
  let pending: Uint8Array[] = [];
  const space = new Uint8Array([0x20]);
  let prev: Token | undefined;
  for (const token of tokens) {
    const part = parseLiteral(token);
    if (prev && isPlainWord(prev) && isPlainWord(token) && token.spaceBefore) pending.push(space);
    if (part.kind === "bytes") {
      pending.push(part.bytes);
    } else {
      if (pending.length > 0) parts.push({ kind: "bytes", bytes: concat(pending) });
      pending = [];
      parts.push(part);
    }
    prev = token;
  }
  if (pending.length > 0) parts.push({ kind: "bytes", bytes: concat(pending) });
  return parts;
}

function fileError(path: string, e: unknown): SockitError {
  let reason: string;
  if (e instanceof Deno.errors.NotFound) reason = "not found";
  else if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
    reason = "permission denied";
  } else if (e instanceof Deno.errors.IsADirectory) reason = "is a directory";
  else reason = String(e instanceof Error ? e.message : e).split("\n")[0];
  return new SockitError(`Cannot read file "${path}": ${reason}`, { cause: e });
}

async function statFile(path: string): Promise<Deno.FileInfo> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw fileError(path, e);
  }
  if (info.isDirectory) throw new SockitError(`Cannot read file "${path}": is a directory`);
  return info;
}

/**
 * Concatenates the parts into the bytes to send, reading each `@path` file fully.
 *
 * `maxFileBytes` caps the size of each file (checked with a stat before reading). A missing or
 * unreadable file throws a `SockitError` such as `Cannot read file "x": not found`.
 */
export async function payloadBytes(
  parts: PayloadPart[],
  maxFileBytes?: number,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    if (part.kind === "bytes") {
      chunks.push(part.bytes);
      continue;
    }
    if (maxFileBytes !== undefined) {
      const info = await statFile(part.path);
      if (info.size > maxFileBytes) {
        throw new SockitError(
          `Cannot read file "${part.path}": ${info.size} bytes is over the limit of ${maxFileBytes}`,
        );
      }
    }
    try {
      chunks.push(await Deno.readFile(part.path));
    } catch (e) {
      throw fileError(part.path, e);
    }
  }
  return chunks.length === 0 ? new Uint8Array(0) : concat(chunks);
}

/**
 * The total size in bytes of the parts, taking file sizes from a stat (files are not read).
 * Throws the same `SockitError` as {@linkcode payloadBytes} for a missing file.
 */
export async function payloadSize(parts: PayloadPart[]): Promise<number> {
  let size = 0;
  for (const part of parts) {
    size += part.kind === "bytes" ? part.bytes.length : (await statFile(part.path)).size;
  }
  return size;
}
