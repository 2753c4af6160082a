/**
 * `--json`: the machine form of batch output, one JSON object per line, documented in
 * docs/json_output.md (and docs/json_output.schema.json). Results go to stdout, errors and events
 * to stderr; every line says `ok` (or is an `event`), so a program may also read both streams
 * merged. The human renderer (`renderer.ts`) is not involved: the same {@linkcode Result} data,
 * another shape. Bytes are encoded as the `--log` JSON Lines encode them (`grammar/json_bytes.ts`).
 *
 * @example A command's line, and a failed one's
 * ```ts
 * import assert from "node:assert/strict";
 * import { SockitError } from "../grammar/errors.ts";
 * import { jsonErrorLine, jsonResultLine } from "./json_output.ts";
 * const sent = { kind: "message" as const, text: "sent 5 bytes to a" };
 * assert.equal(
 *   jsonResultLine(1, "send", sent),
 *   '{"line":1,"command":"send","ok":true,"result":{"kind":"message","text":"sent 5 bytes to a"}}',
 * );
 * const timeout = new SockitError('Cannot recv from "a": timed out after 1s', { code: "timeout" });
 * assert.deepEqual(JSON.parse(jsonErrorLine(2, "recv", timeout)), {
 *   line: 2,
 *   command: "recv",
 *   ok: false,
 *   error: { code: "timeout", message: 'Cannot recv from "a": timed out after 1s' },
 * });
 * ```
 *
 * @module
 */
import type { Result } from "../commands/result.ts";
import { type ErrorCode, systemErrorCode } from "../grammar/errors.ts";
import { jsonBytes } from "../grammar/json_bytes.ts";
import { tokenize } from "../grammar/tokenize.ts";
import type { SocketEvent } from "../sockets/named_socket.ts";

/** A table cell: text, or a raw number in a byte-count column. */
export type JsonCell = string | number;

/** The JSON form of a {@linkcode Result}: the same data, bytes as base64 (and text). */
export type JsonResult = Record<string, unknown> & { kind: Result["kind"] };

/** The JSON form of an error: its code, one-line message and hint. */
export interface JsonError {
  /** What went wrong, as data (see `grammar/errors.ts`). */
  code: ErrorCode;
  /** The one-line message, as the human output shows it after `error: `. */
  message: string;
  /** The hint, when there is one (`did you mean send?`). */
  hint?: string;
}

/**
 * A result as JSON data: `kind` plus that kind's fields (docs/json_output.md lists them).
 *
 * @example A table's byte counts stay numbers
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonResult } from "./json_output.ts";
 * const ls = { kind: "table" as const, columns: ["name", "in"], rows: [["a", "1536"]], counts: [1] };
 * assert.deepEqual(jsonResult(ls), { kind: "table", columns: ["name", "in"], rows: [["a", 1536]] });
 * ```
 */
export function jsonResult(result: Result): JsonResult {
  switch (result.kind) {
    case "none":
    case "quit":
      return { kind: result.kind };
    case "message":
    case "text":
      return { kind: result.kind, text: result.text };
    case "socket":
      return { kind: "socket", verb: result.verb, socket: { ...result.info } };
    case "table": {
      const counts = new Set(result.counts ?? []);
      const rows: JsonCell[][] = result.rows.map((row) =>
        row.map((cell, i) => counts.has(i) && /^\d+$/.test(cell) ? Number(cell) : cell)
      );
      const out: JsonResult = { kind: "table", columns: [...result.columns], rows };
      if (result.note !== undefined) out.note = result.note;
      return out;
    }
    case "repeated":
      return { kind: "repeated", text: result.text, last: jsonResult(result.last) };
    case "data": {
      const out: JsonResult = {
        kind: "data",
        socket: result.socket,
        status: result.status,
        ...jsonBytes(result.data),
      };
      if (result.from !== undefined) out.from = result.from;
      if (result.truncated) out.truncated = true;
      if (result.message !== undefined) out.message = result.message;
      if (result.matched) out.matched = { ...result.matched };
      if (result.before) out.before = jsonBytes(result.before);
      return out;
    }
  }
}

/**
 * An error as JSON data: a SockitError's code, message and hint; anything else is `failed`
 * (or the code its runtime class means) with its message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SockitError } from "../grammar/errors.ts";
 * import { jsonError } from "./json_output.ts";
 * const error = new SockitError('Unknown command "sned"', {
 *   code: "unknown-command",
 *   hint: "did you mean send?",
 * });
 * assert.deepEqual(jsonError(error), {
 *   code: "unknown-command",
 *   message: 'Unknown command "sned"',
 *   hint: "did you mean send?",
 * });
 * ```
 */
export function jsonError(error: unknown): JsonError {
  const message = error instanceof Error ? error.message : String(error);
  const out: JsonError = { code: systemErrorCode(error), message: message.split("\n")[0] };
  const hint = (error as { hint?: unknown } | undefined)?.hint;
  if (typeof hint === "string") out.hint = hint;
  return out;
}

/**
 * The command word of a line (`send` for `send a hi`), or null for a line whose words cannot be
 * read (an unterminated quote); undefined for a line with no command (blank, a comment).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandWord } from "./json_output.ts";
 * assert.equal(commandWord("  send a hi # note"), "send");
 * assert.equal(commandWord("# only a comment"), undefined);
 * assert.equal(commandWord('send a "open'), null);
 * ```
 */
export function commandWord(line: string): string | null | undefined {
  try {
    return tokenize(line)[0]?.text;
  } catch {
    return null;
  }
}

/** Line `n`'s result on stdout: `{"line":n,"command":…,"ok":true,"result":{…}}`. */
export function jsonResultLine(n: number, command: string | null, result: Result): string {
  return JSON.stringify({ line: n, command, ok: true, result: jsonResult(result) });
}

/**
 * Line `n`'s error on stderr: `{"line":n,"command":…,"ok":false,"error":{…}}`; `n` and the
 * command are null for an error outside any line (bad global options).
 */
export function jsonErrorLine(n: number | null, command: string | null, error: unknown): string {
  return JSON.stringify({ line: n, command, ok: false, error: jsonError(error) });
}

/**
 * A socket event on stderr (`--events`): `{"event":"accepted","socket":"srv",…,"t":"…"}` with the
 * event's own fields and the wall-clock time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonEventLine } from "./json_output.ts";
 * const line = jsonEventLine({ type: "closed", name: "a" }, new Date(0));
 * assert.equal(line, '{"event":"closed","socket":"a","t":"1970-01-01T00:00:00.000Z"}');
 * ```
 */
export function jsonEventLine(event: SocketEvent, now: Date = new Date()): string {
  const { type, name, ...fields } = event;
  return JSON.stringify({ event: type, socket: name, ...fields, t: now.toISOString() });
}
