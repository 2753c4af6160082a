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
 * - `failed`: anything else (the message says what)
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
  | "failed";

/** What a SockitError is made with: its code, a hint and the underlying cause. */
export interface SockitErrorOptions {
  /** What went wrong, as data (default `failed`). */
  code?: ErrorCode;
  /** An optional second line: a hint such as "did you mean send?". */
  hint?: string;
  /** The error underneath (a Deno error, a parse error). */
  cause?: unknown;
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
  /** A one-line message, its code, an optional hint and the underlying cause. */
  constructor(message: string, options?: SockitErrorOptions) {
    // One line, whatever the value it quotes holds (the fuzzer feeds CR and LF).
    super(message.replace(/\r/g, "\\r").replace(/\n/g, "\\n"), { cause: options?.cause });
    this.code = options?.code ?? "failed";
    this.hint = options?.hint;
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
