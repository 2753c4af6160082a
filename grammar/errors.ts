/**
 * What went wrong, as data: every {@linkcode SockitError} carries one of these, and code that
 * needs to know what happened reads the kind, never the message text.
 *
 * - `usage`: bad input — an unknown option, a bad value, a missing or extra argument
 * - `unknown-command`: the first word is not a command
 * - `not-found`: no such socket, file or host
 * - `exists`: a name (socket, file) already in use
 * - `wrong-kind`: the socket cannot do that (a listener asked to send, a stream asked to sendto)
 * - `closed`: the socket is closed
 * - `timeout`: a deadline passed
 * - `eof`: end of stream: the peer closed
 * - `cancelled`: Ctrl-C, a signal, or a stopped run
 * - `refused`: the peer or a proxy refused the connection
 * - `reset`: the connection was reset
 * - `address-in-use`: the address to listen on is taken
 * - `unterminated`: a quote or escape that never ends
 * - `mismatch`: bytes differ from what a script or recording expects
 * - `tls`: a TLS handshake or certificate problem
 * - `permission`: the operating system or Deno refused access
 * - `too-large`: over a size limit
 * - `malformed`: bytes from a peer that do not parse as the frame or protocol expects
 * - `failed`: anything else (the message says what)
 *
 * @example Meaning as data: the code, not the message
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import { type ErrorCode, SockitError } from "./errors.ts";
 * await using shell = new Shell();
 * const error = await shell.execute("recv nosuch").catch((e) => e);
 * assert.ok(error instanceof SockitError);
 * const code: ErrorCode = error.code;
 * assert.equal(code, "not-found");
 * ```
 */
export type ErrorCode =
  | "usage"
  | "unknown-command"
  | "not-found"
  | "exists"
  | "wrong-kind"
  | "closed"
  | "timeout"
  | "eof"
  | "cancelled"
  | "refused"
  | "reset"
  | "address-in-use"
  | "unterminated"
  | "mismatch"
  | "tls"
  | "permission"
  | "too-large"
  | "malformed"
  | "failed";

/** What a SockitError is made with: its code, a hint and the underlying cause. */
export interface SockitErrorOptions {
  /** What went wrong, as data (default `failed`). */
  code?: ErrorCode;
  /** An optional second line: a hint such as "did you mean send?". */
  hint?: string;
  /** The error underneath (a Deno error, a parse error). */
  cause?: unknown;
  /** For bad input: the 1-based column of the line it is about (an unterminated quote). */
  column?: number;
}

/**
 * The one error type every layer throws for bad input or a failed action.
 *
 * Its message is a single line that names the action and the value, e.g.
 * `Cannot open "a": connection refused by 127.0.0.1:65432`; its {@linkcode ErrorCode} says
 * what happened, for code that must decide.
 *
 * @example Throwing and catching a SockitError
 * ```ts
 * import assert from "node:assert/strict";
 * import { SockitError } from "./errors.ts";
 * try {
 *   throw new SockitError('Unknown socket "b"', { code: "not-found" });
 * } catch (e) {
 *   assert(e instanceof SockitError);
 *   assert.equal(e.code, "not-found");
 * }
 * ```
 */
export class SockitError extends Error {
  /** Always `SockitError`. */
  override name = "SockitError";
  /** What went wrong, as data. */
  readonly code: ErrorCode;
  /** An optional second line: a hint such as "did you mean send?". */
  readonly hint?: string;
  /** For bad input: the 1-based column it is about, when known. */
  readonly column?: number;
  /** A one-line message, its code, an optional hint and the underlying cause. */
  constructor(message: string, options?: SockitErrorOptions) {
    // One line, whatever the value it quotes holds (the fuzzer feeds CR and LF).
    super(message.replace(/\r/g, "\\r").replace(/\n/g, "\\n"), { cause: options?.cause });
    this.code = options?.code ?? "failed";
    this.hint = options?.hint;
    this.column = options?.column;
  }
}

/**
 * The code of any thrown value: a SockitError's own, `failed` for anything else.
 *
 * @example Reading a code
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorCode, SockitError } from "./errors.ts";
 * assert.equal(errorCode(new SockitError("x", { code: "timeout" })), "timeout");
 * assert.equal(errorCode(new Error("x")), "failed");
 * ```
 */
export function errorCode(error: unknown): ErrorCode {
  return error instanceof SockitError ? error.code : "failed";
}

/**
 * The code of an error the runtime threw (a `Deno.errors` class, an abort), or of a
 * SockitError: the one place foreign errors become codes, read from their class and their
 * `code` field (`EADDRINUSE`, `EMSGSIZE`, …), never from their text.
 *
 * @example Codes of runtime errors
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemErrorCode } from "./errors.ts";
 * assert.equal(systemErrorCode(new Deno.errors.NotFound("x")), "not-found");
 * assert.equal(systemErrorCode(new Deno.errors.AddrInUse("x")), "address-in-use");
 * assert.equal(systemErrorCode(new Error("x")), "failed");
 * ```
 */
export function systemErrorCode(error: unknown): ErrorCode {
  if (error instanceof SockitError) return error.code;
  const e = Deno.errors;
  if (error instanceof e.NotFound) return "not-found";
  if (error instanceof e.PermissionDenied || error instanceof e.NotCapable) return "permission";
  if (error instanceof e.AlreadyExists) return "exists";
  if (error instanceof e.AddrInUse) return "address-in-use";
  if (error instanceof e.ConnectionRefused) return "refused";
  if (error instanceof e.ConnectionReset || error instanceof e.ConnectionAborted) return "reset";
  if (error instanceof e.BrokenPipe) return "reset";
  if (error instanceof e.TimedOut) return "timeout";
  if (error instanceof e.Interrupted) return "cancelled";
  if (error instanceof e.IsADirectory || error instanceof e.NotADirectory) return "wrong-kind";
  const named = error as { name?: string; code?: string } | undefined;
  if (named?.name === "AbortError") return "cancelled";
  if (named?.name === "TimeoutError") return "timeout";
  switch (named?.code) {
    case "ENOENT":
      return "not-found";
    case "EACCES":
    case "EPERM":
      return "permission";
    case "EADDRINUSE":
      return "address-in-use";
    case "ECONNREFUSED":
      return "refused";
    case "ECONNRESET":
    case "EPIPE":
      return "reset";
    case "EMSGSIZE":
      return "too-large";
    case "ETIMEDOUT":
      return "timeout";
  }
  return "failed";
}

/**
 * A runtime error in a few plain words for the end of a one-line message: `not found`,
 * `permission denied`, `address already in use`; other errors keep their own first line, without
 * Deno's `(os error N)` suffix and its advice to re-run with more permissions.
 *
 * @example Wording a missing file
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemReason } from "./errors.ts";
 * const missing = new Deno.errors.NotFound("No such file or directory (os error 2): open 'x'");
 * assert.equal(systemReason(missing), "not found");
 * ```
 */
export function systemReason(error: unknown): string {
  if (error instanceof SockitError) return error.message;
  const e = Deno.errors;
  if (error instanceof e.NotFound) return "not found";
  if (error instanceof e.PermissionDenied) return "permission denied";
  if (error instanceof e.NotCapable) return "not allowed by Deno's permissions";
  if (error instanceof e.AlreadyExists) return "already exists";
  if (error instanceof e.AddrInUse) return "address already in use";
  if (error instanceof e.IsADirectory) return "is a directory";
  if (error instanceof e.NotADirectory) return "a part of the path is not a directory";
  const text = String(error instanceof Error ? error.message : error).split("\n")[0];
  return text.replace(/ \(os error \d+\).*$/, "").replace(/^./, (c) => c.toLowerCase());
}

/**
 * Ways a read can end; only `ok` consumes bytes from the buffer.
 *
 * @example Checking a status
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ReadStatus } from "./errors.ts";
 * const consumes = (status: ReadStatus) => status === "ok";
 * assert(!consumes("timeout"));
 * ```
 */
export type ReadStatus = "ok" | "timeout" | "eof" | "cancelled" | "error";
