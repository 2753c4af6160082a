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

import { concatBytes as concat, release, stableBytes } from "./bytes.ts";
import { SockitError, systemErrorCode, systemReason } from "./errors.ts";
import { showValue } from "./show_value.ts";
import type { Token } from "./tokenize.ts";

/** One piece of a payload: literal bytes, or a file whose contents are read when sending. */
export type PayloadPart = { kind: "bytes"; bytes: Uint8Array } | { kind: "file"; path: string };

const encoder = new TextEncoder();

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
        throw new SockitError(`Bad escape ${showValue(raw.slice(i, i + 4))} in ${showValue(raw)}`, {
          code: "usage",
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
        throw new SockitError(`Bad escape ${showValue(shown)} in ${showValue(raw)}`, {
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
      throw new SockitError(`Bad escape ${showValue(esc)} in ${showValue(raw)}`, {
        code: "usage",
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
    if (v < 0) {
      throw new SockitError(`Bad hex literal ${showValue(word)}: not a hex digit ${showValue(c)}`, {
        code: "usage",
      });
    }
    digits.push(v);
  }
  if (digits.length % 2 !== 0) {
    throw new SockitError(
      `Bad hex literal ${showValue(word)}: odd number of hex digits (${digits.length})`,
      { code: "usage", hint: "each byte takes two hex digits, e.g. hex:0a" },
    );
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = digits[2 * i] * 16 + digits[2 * i + 1];
  return bytes;
}

// A flat pattern plus a length check: a grouped `(?:x{4})*` overflows the regex stack on a
// literal of a few megabytes.
const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

function parseBase64(word: string): Uint8Array {
  const text = word.slice(4);
  if (text.length % 4 !== 0 || !base64Pattern.test(text)) {
    throw new SockitError(`Bad base64 literal ${showValue(word)}`, {
      code: "usage",
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
        code: "usage",
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
  return new SockitError(`Cannot read file ${showValue(path)}: ${systemReason(e)}`, {
    code: systemErrorCode(e),
    cause: e,
  });
}

async function statFile(path: string): Promise<Deno.FileInfo> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(expandPath(path));
  } catch (e) {
    throw fileError(path, e);
  }
  if (info.isDirectory) {
    throw new SockitError(`Cannot read file ${showValue(path)}: is a directory`, {
      code: "wrong-kind",
    });
  }
  return info;
}

/**
 * How much `@-`, a FIFO or a character device may give before its end when no `--max` is set:
 * 16 MiB. Such sources are read whole before anything is sent, so a send is all or nothing.
 */
export const STREAM_SOURCE_LIMIT = 16 * 1024 * 1024;

/** The names that mean standard input in `@path`: `-`, `/dev/stdin`, `/dev/fd/0`. */
const STDIN_NAMES = ["-", "/dev/stdin", "/dev/fd/0"];

/**
 * A `@path` as the operating system sees it: `~` and `~/…` start at `$HOME`.
 *
 * @example Expanding the home folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandPath } from "./payload.ts";
 * assert.equal(expandPath("~/x.bin"), `${Deno.env.get("HOME")}/x.bin`);
 * assert.equal(expandPath("./~x"), "./~x");
 * ```
 */
export function expandPath(path: string): string {
  if (path !== "~" && !path.startsWith("~/")) return path;
  const home = Deno.env.get("HOME");
  if (!home) {
    throw new SockitError(`Cannot read file "${path}": $HOME is not set to expand ~`, {
      code: "not-found",
    });
  }
  return home + path.slice(1);
}

/** One `@path` ready to read: its size, and its bytes in chunks. */
export interface PayloadSource {
  /** The path as written (`-` for standard input). */
  path: string;
  /** How many bytes {@link PayloadSource.chunks} yields. */
  size: number;
  /**
   * The bytes, in chunks of at most `chunk` bytes from one reused buffer (copy to keep them);
   * `stable`: a regular file's chunks each in a buffer of their own ({@link stableBytes}).
   */
  chunks(chunk?: number, stable?: boolean): AsyncGenerator<Uint8Array>;
}

/**
 * Opens a `@path` for sending. A regular file is streamed from disk (its first `max` bytes when
 * `max` is given). Standard input (`@-`, `@/dev/stdin`), a FIFO or a character device is read
 * to its end first — at most `max` bytes, or {@linkcode STREAM_SOURCE_LIMIT} without `max`, past
 * which it is an error that suggests `--max` — so nothing is sent from a source that fails.
 * A directory, a socket file or a terminal on standard input are one-line errors.
 *
 * @example Sending the first bytes of an endless device
 * ```ts
 * import assert from "node:assert/strict";
 * import { openSource } from "./payload.ts";
 * const random = await openSource("/dev/urandom", 16);
 * assert.equal(random.size, 16);
 * await assert.rejects(openSource("/dev/urandom"), { code: "too-large" }); // without --max
 * ```
 */
export async function openSource(path: string, max?: number): Promise<PayloadSource> {
  if (STDIN_NAMES.includes(path)) {
    if (Deno.stdin.isTerminal()) {
      throw new SockitError(`Cannot read "@${path}": standard input is the terminal`, {
        code: "usage",
        hint: "pipe the bytes in: sockit -c 'send a @-' < data.bin",
      });
    }
    return whole(path, await readUpTo(path, Deno.stdin, max));
  }
  const real = expandPath(path);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(real);
  } catch (e) {
    throw fileError(path, e);
  }
  if (info.isFile) {
    const size = max === undefined ? info.size : Math.min(info.size, max);
    return {
      path,
      size,
      chunks: (chunk, stable) => fileChunks(path, real, size, chunk, stable),
    };
  }
  const what = info.isDirectory
    ? "is a directory"
    : info.isSocket
    ? "is a socket file (open unix NAME PATH talks to it)"
    : undefined;
  if (what) throw new SockitError(`Cannot read file "${path}": ${what}`, { code: "wrong-kind" });
  // A FIFO, a character or block device: read to its end (or to the limit).
  let file: Deno.FsFile;
  try {
    file = await Deno.open(real, { read: true });
  } catch (e) {
    throw fileError(path, e);
  }
  using _file = file;
  return whole(path, await readUpTo(path, file, max));
}

function whole(path: string, bytes: Uint8Array): PayloadSource {
  return {
    path,
    size: bytes.length,
    async *chunks(chunk = bytes.length || 1) {
      for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
    },
  };
}

/** Reads a source to its end, keeping at most `max` bytes; too much without `max` is an error. */
async function readUpTo(
  path: string,
  source: { read(p: Uint8Array): Promise<number | null> },
  max: number | undefined,
): Promise<Uint8Array> {
  const limit = max ?? STREAM_SOURCE_LIMIT;
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(64 * 1024);
  try {
    while (max === undefined ? total <= limit : total < limit) {
      const n = await source.read(buf.subarray(0, Math.min(buf.length, limit + 1 - total)));
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      total += n;
    }
  } catch (e) {
    throw fileError(path, e);
  }
  if (total > limit && max === undefined) {
    throw new SockitError(`Cannot read "@${path}": more than ${limit} bytes before its end`, {
      code: "too-large",
      hint: "add --max BYTES to send only its first BYTES",
    });
  }
  const bytes = concat(chunks);
  return bytes.length > limit ? bytes.subarray(0, limit) : bytes;
}

/**
 * Reads `size` bytes of a regular file in chunks from one reused buffer or, when `stable`, each
 * into a buffer of its own that is never written again ({@link stableBytes}): whoever is handed
 * such a chunk (the log writer) may keep it without a copy.
 */
async function* fileChunks(
  path: string,
  real: string,
  size: number,
  chunk = 1024 * 1024,
  stable = false,
): AsyncGenerator<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(real, { read: true });
  } catch (e) {
    throw fileError(path, e);
  }
  using _file = file;
  const length = Math.max(1, Math.min(chunk, size));
  let buf: Uint8Array = new Uint8Array(stable ? 0 : length);
  let left = size;
  try {
    while (left > 0) {
      if (stable) {
        release(buf); // the chunk before was sent: our hold on it ends
        buf = stableBytes(length);
      }
      let filled = 0;
      const want = Math.min(buf.length, left);
      while (filled < want) {
        const n = await file.read(buf.subarray(filled, want));
        if (n === null) break;
        filled += n;
      }
      if (filled === 0) return;
      yield buf.subarray(0, filled);
      left -= filled;
      if (filled < want) return;
    }
  } finally {
    release(buf);
  }
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
    if (maxFileBytes !== undefined && !STDIN_NAMES.includes(part.path)) {
      const info = await statFile(part.path);
      if (info.isFile && info.size > maxFileBytes) {
        throw new SockitError(
          `Cannot read file ${
            showValue(part.path)
          }: ${info.size} bytes is over the limit of ${maxFileBytes}`,
          { code: "too-large" },
        );
      }
    }
    const source = await openSource(part.path);
    for await (const chunk of source.chunks()) chunks.push(chunk.slice());
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
