/**
 * Bytes in sockit's JSON formats (the `--log` JSON Lines and `--json` output): always `bytes`,
 * the base64 of exactly those bytes, and `text`, their canonical quoted rendering (as `recv`
 * shows it, and a valid payload literal), when they are printable and at most
 * {@linkcode TEXT_LIMIT} bytes. One encoder for both, so the two formats say bytes alike.
 *
 * @example The fields of a printable chunk
 * ```ts
 * import assert from "node:assert/strict";
 * import { base64, textOf } from "./json_bytes.ts";
 * const hi = new TextEncoder().encode("hi\n");
 * assert.equal(base64(hi), "aGkK");
 * assert.equal(textOf(hi), '"hi\\n"');
 * assert.equal(textOf(new Uint8Array([0xff])), undefined);
 * ```
 *
 * @module
 */
import { latin1 } from "./bytes.ts";
import { isText, quote } from "./render.ts";

/** Chunks up to this size also carry `text`, their canonical rendering when printable. */
export const TEXT_LIMIT = 4096;

/**
 * Base64 of `bytes`: the runtime's own encoder where there is one (V8's toBase64), else btoa
 * (no node:buffer, which the log writer's thread would pay to load).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { base64 } from "./json_bytes.ts";
 * assert.equal(base64(new Uint8Array([0, 255])), "AP8=");
 * ```
 */
export function base64(bytes: Uint8Array): string {
  const own = (bytes as Uint8Array & { toBase64?: () => string }).toBase64;
  return own ? own.call(bytes) : btoa(latin1(bytes));
}

/**
 * The `text` field of `bytes`: their canonical quoted rendering when they are printable and at
 * most {@linkcode TEXT_LIMIT} bytes, else undefined (the field is left out).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { textOf } from "./json_bytes.ts";
 * assert.equal(textOf(new TextEncoder().encode('say "hi"')), '"say \\"hi\\""');
 * ```
 */
export function textOf(bytes: Uint8Array): string | undefined {
  return bytes.length <= TEXT_LIMIT && isText(bytes) ? quote(bytes) : undefined;
}

/** The JSON form of some bytes: their size, base64 and (when printable) text. */
export interface JsonBytes {
  /** How many bytes. */
  size: number;
  /** Base64 of exactly those bytes. */
  bytes: string;
  /** Their canonical quoted rendering, when printable and at most {@linkcode TEXT_LIMIT} bytes. */
  text?: string;
}

/**
 * `{size, bytes, text?}` for `bytes`, ready for `JSON.stringify`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonBytes } from "./json_bytes.ts";
 * assert.deepEqual(jsonBytes(new TextEncoder().encode("ok")), {
 *   size: 2,
 *   bytes: "b2s=",
 *   text: '"ok"',
 * });
 * ```
 */
export function jsonBytes(bytes: Uint8Array): JsonBytes {
  const text = textOf(bytes);
  const out: JsonBytes = { size: bytes.length, bytes: base64(bytes) };
  if (text !== undefined) out.text = text;
  return out;
}
