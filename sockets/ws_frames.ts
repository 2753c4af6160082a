/**
 * RFC 6455 frames: {@link encodeFrame} builds one (masked when a client sends it), and
 * {@link FrameReader} takes bytes as they arrive and hands out whole frames, enforcing the
 * protocol's rules (control frames of at most 125 bytes and never fragmented, masking by the
 * client only, no reserved bits) and a message size limit. A broken rule is a
 * {@link WsProtocolError} carrying the close code to answer with.
 *
 * @module
 */

import { SockitError } from "../grammar/errors.ts";

/** Frame opcodes. */
export const OP = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** The largest message (after reassembly) a WebSocket socket accepts or sends: 64 MiB. */
export const MAX_MESSAGE = 64 * 1024 * 1024;

/** The largest control frame payload (close, ping, pong): 125 bytes. */
export const MAX_CONTROL = 125;

/** Close codes sockit uses itself (RFC 6455 section 7.4.1). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  invalidData: 1007,
  tooBig: 1009,
  noStatus: 1005,
  abnormal: 1006,
} as const;

/** One frame as read from the wire (payload unmasked). */
export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Uint8Array;
}

/** A peer broke the protocol: the close code to answer with, and why (one line). */
export class WsProtocolError extends SockitError {
  /** The error's class name. */
  override name = "WsProtocolError";
  /** The close code to send: 1002 protocol error, 1007 bad text, 1009 too big. */
  readonly closeCode: number;
  /** A protocol error with its close code. */
  constructor(message: string, closeCode: number) {
    super(message, { code: closeCode === CLOSE.tooBig ? "too-large" : "malformed" });
    this.closeCode = closeCode;
  }
}

/** XORs `data` in place with the 4-byte `key`, starting at key offset 0. */
export function applyMask(data: Uint8Array, key: Uint8Array): void {
  const n = data.length;
  let i = 0;
  if (data.byteOffset % 4 === 0 && n >= 16) {
    // Word at a time: the key repeats every 4 bytes, so one 32-bit XOR does 4 bytes.
    const words = new Uint32Array(data.buffer, data.byteOffset, n >>> 2);
    const k = new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
    for (let w = 0; w < words.length; w++) words[w] ^= k;
    i = words.length * 4;
  }
  for (; i < n; i++) data[i] ^= key[i & 3];
}

/**
 * One frame on the wire. With `mask` (a client's frames must be masked) the payload is XORed
 * with a fresh random key; the caller's bytes are not changed.
 *
 * @example A masked text frame unmasks to its payload
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame, FrameReader, OP } from "./ws_frames.ts";
 * const wire = encodeFrame(OP.text, new TextEncoder().encode("hi"), { mask: true });
 * assert.equal(wire[1] & 0x80, 0x80);
 * const reader = new FrameReader({ masked: true });
 * const [frame] = reader.push(wire);
 * assert.equal(new TextDecoder().decode(frame.payload), "hi");
 * ```
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  options: { mask?: boolean; fin?: boolean } = {},
): Uint8Array {
  const n = payload.length;
  const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const maskBytes = options.mask ? 4 : 0;
  const head = 2 + lengthBytes + maskBytes;
  const out = new Uint8Array(head + n);
  out[0] = (options.fin === false ? 0 : 0x80) | opcode;
  const view = new DataView(out.buffer);
  if (lengthBytes === 0) out[1] = n;
  else if (lengthBytes === 2) {
    out[1] = 126;
    view.setUint16(2, n);
  } else {
    out[1] = 127;
    view.setBigUint64(2, BigInt(n));
  }
  out.set(payload, head);
  if (options.mask) {
    out[1] |= 0x80;
    const key = crypto.getRandomValues(new Uint8Array(4));
    out.set(key, 2 + lengthBytes);
    applyMask(out.subarray(head), key);
  }
  return out;
}

/** A close frame's payload: the code (2 bytes, big-endian) and a UTF-8 reason. */
export function closePayload(code: number | undefined, reason = ""): Uint8Array {
  if (code === undefined) return new Uint8Array(0);
  const text = new TextEncoder().encode(reason);
  const out = new Uint8Array(2 + text.length);
  new DataView(out.buffer).setUint16(0, code);
  out.set(text, 2);
  return out;
}

/** Reads a close frame's payload: code 1005 (none given) when it is empty. */
export function parseClose(payload: Uint8Array): { code: number; reason: string } {
  if (payload.length === 0) return { code: CLOSE.noStatus, reason: "" };
  if (payload.length === 1) {
    throw new WsProtocolError("a close frame of 1 byte (a code takes 2)", CLOSE.protocolError);
  }
  const code = (payload[0] << 8) | payload[1];
  if (!validCloseCode(code)) {
    throw new WsProtocolError(`a close frame with code ${code}, which may not be sent`, 1002);
  }
  return { code, reason: utf8(payload.subarray(2), "a close reason") };
}

/** Whether a peer may send `code` in a close frame (1000-1003, 1007-1014, 3000-4999). */
export function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}

const STRICT = new TextDecoder("utf-8", { fatal: true });

/** Decodes UTF-8 strictly: invalid text is a protocol error (close code 1007). */
export function utf8(bytes: Uint8Array, what: string): string {
  try {
    return STRICT.decode(bytes);
  } catch {
    throw new WsProtocolError(`${what} that is not valid UTF-8`, CLOSE.invalidData);
  }
}

/**
 * Splits arriving bytes into frames. `masked`: whether the peer must mask (a server reads masked
 * client frames; a client reads unmasked ones). Bytes of an unfinished frame wait for the next
 * push; a frame whose payload would exceed `maxPayload` fails before its payload is read.
 */
export class FrameReader {
  readonly #masked: boolean;
  readonly #maxPayload: number;
  #pending: Uint8Array[] = [];
  #size = 0;

  /** A reader for frames that must (or must not) be masked. */
  constructor(options: { masked: boolean; maxPayload?: number }) {
    this.#masked = options.masked;
    this.#maxPayload = options.maxPayload ?? MAX_MESSAGE;
  }

  /** Bytes received that do not make a whole frame yet. */
  get buffered(): number {
    return this.#size;
  }

  /** Adds received bytes; returns every frame now complete, in order. */
  push(bytes: Uint8Array): Frame[] {
    if (bytes.length) {
      this.#pending.push(bytes.slice());
      this.#size += bytes.length;
    }
    const frames: Frame[] = [];
    while (true) {
      const frame = this.#next();
      if (!frame) return frames;
      frames.push(frame);
    }
  }

  /** The first `n` pending bytes as one array (joining chunks only as needed). */
  #peek(n: number): Uint8Array {
    const first = this.#pending[0];
    if (first.length >= n) return first;
    const out = new Uint8Array(this.#size);
    let off = 0;
    for (const c of this.#pending) {
      out.set(c, off);
      off += c.length;
    }
    this.#pending = [out];
    return out;
  }

  #consume(n: number): void {
    this.#size -= n;
    while (n > 0) {
      const first = this.#pending[0];
      if (first.length <= n) {
        n -= first.length;
        this.#pending.shift();
      } else {
        this.#pending[0] = first.subarray(n);
        n = 0;
      }
    }
  }

  #next(): Frame | undefined {
    if (this.#size < 2) return undefined;
    let head = this.#peek(2);
    const b0 = head[0];
    const b1 = head[1];
    if (b0 & 0x70) throw new WsProtocolError("a frame with reserved bits set", 1002);
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    const masked = (b1 & 0x80) !== 0;
    if (masked !== this.#masked) {
      throw new WsProtocolError(
        this.#masked ? "an unmasked frame from a client" : "a masked frame from a server",
        CLOSE.protocolError,
      );
    }
    if (![0, 1, 2, 8, 9, 10].includes(opcode)) {
      throw new WsProtocolError(`a frame with unknown opcode ${opcode}`, CLOSE.protocolError);
    }
    const short = b1 & 0x7f;
    const lengthBytes = short === 126 ? 2 : short === 127 ? 8 : 0;
    const headSize = 2 + lengthBytes + (masked ? 4 : 0);
    if (opcode >= 8 && (!fin || short > MAX_CONTROL)) {
      throw new WsProtocolError(
        !fin ? "a fragmented control frame" : `a control frame over ${MAX_CONTROL} bytes`,
        CLOSE.protocolError,
      );
    }
    if (this.#size < headSize) return undefined;
    head = this.#peek(headSize);
    const view = new DataView(head.buffer, head.byteOffset, headSize);
    let length = short;
    if (lengthBytes === 2) length = view.getUint16(2);
    else if (lengthBytes === 8) {
      const big = view.getBigUint64(2);
      length = big > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(big);
    }
    if (length > this.#maxPayload) {
      throw new WsProtocolError(
        `a ${
          length === Infinity ? "huge" : `${length}-byte`
        } frame, over the message limit of ${this.#maxPayload} bytes`,
        CLOSE.tooBig,
      );
    }
    if (this.#size < headSize + length) return undefined;
    const key = masked ? head.slice(headSize - 4, headSize) : undefined;
    const all = this.#peek(headSize + length);
    const payload = all.slice(headSize, headSize + length);
    this.#consume(headSize + length);
    if (key) applyMask(payload, key);
    return { fin, opcode, payload };
  }
}
