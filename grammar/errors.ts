/**
 * The one error type every layer throws for bad input or a failed action.
 *
 * Its message is a single line that names the action and the value, e.g.
 * `Cannot open "a": connection refused by 127.0.0.1:65432`.
 *
 * @example Throwing and catching a SockitError
 * ```ts
 * import assert from "node:assert/strict";
 * import { SockitError } from "./errors.ts";
 * try {
 *   throw new SockitError('Unknown socket "b"');
 * } catch (e) {
 *   assert(e instanceof SockitError);
 * }
 * ```
 */
export class SockitError extends Error {
  /** Always `SockitError`. */
  override name = "SockitError";
  /** An optional second line: a hint such as "did you mean send?". */
  readonly hint?: string;
  /** A one-line message, an optional hint and the underlying cause. */
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.hint = options?.hint;
  }
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
