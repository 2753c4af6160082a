/** Small helpers shared by the session files. */

import { SockitError } from "../grammar/errors.ts";

/** Socket properties a script can use as `${NAME.prop}`. */
export const SOCKET_PROPS: ReadonlySet<string> = new Set(["local", "remote", "host", "port"]);

/**
 * Variables every replay defines: `${tmp}`, a fresh temporary directory (made on first use,
 * removed with everything in it when the replay ends), and `${dir}`, the script's directory.
 */
export const BUILTIN_VARIABLES: ReadonlySet<string> = new Set(["tmp", "dir"]);

/** A variable or capture name: `port`, `srv.1.remote`. */
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$/;

/** latin1 decodes bytes one char per byte, as `expect` and regex observations see them. */
export { concatBytes as concat, latin1 } from "../grammar/bytes.ts";

/** Whether two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The message of an error, without the `error:` prefix or hint. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A script syntax error: `file:line:column: message` and a hint.
 *
 * @example Where a script is wrong
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { ScriptError } from "./_private.ts";
 * assert.throws(
 *   () => parseScript("recv a\n  nonsense\n", "bad.sockit"),
 *   (e) => e instanceof ScriptError && e.file === "bad.sockit" && e.line === 2,
 * );
 * ```
 */
export class ScriptError extends SockitError {
  /** The error's class name. */
  override name = "ScriptError";
  /** The script file (or a label such as `<script>`). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  override readonly column: number;
  /** The message without the location. */
  readonly reason: string;
  /** A problem at `file:line:column`, with a hint for fixing it. */
  constructor(file: string, line: number, column: number, reason: string, hint?: string) {
    super(`${file}:${line}:${column}: ${reason}`, { code: "usage", hint, column });
    this.file = file;
    this.line = line;
    this.column = column;
    this.reason = reason;
  }
}

/** Escapes text for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Shortens a value for one line of a report. */
export function shorten(s: string, max = 80): string {
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Whether bytes are valid UTF-8 (what a WebSocket text message must be). */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    STRICT_UTF8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * The WebSocket message kind an observation claims: binary when marked ` (binary)`, else text,
 * except that bytes which are not UTF-8 can only be binary (recordings made before the marker
 * existed left it out there).
 */
export function claimedKind(binary: boolean | undefined, bytes: Uint8Array): "text" | "binary" {
  return binary || !isUtf8(bytes) ? "binary" : "text";
}
