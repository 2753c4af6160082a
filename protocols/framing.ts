/**
 * Message framing on byte streams: how a stream is cut into messages.
 *
 * | frame       | on the wire                                 |
 * | ----------- | ------------------------------------------- |
 * | `line`      | message, then `\n`                          |
 * | `crlf`      | message, then `\r\n`                        |
 * | `u16`       | 2-byte big-endian length, then the message  |
 * | `u32`       | 4-byte big-endian length, then the message  |
 * | `netstring` | `LEN:message,` with LEN in decimal (djb)    |
 *
 * Each {@link Framer} works two ways over the same format:
 * - {@link Framer.read} takes one whole message from a socket's {@link ReceiveBuffer}, using only
 *   its reads (`recvUntil`, `recvExact`, and a zero-length `recvMatch` lookahead to wait for a
 *   header without consuming it). So a read that times out leaves every byte buffered, header
 *   included — the buffer's contract holds for framed reads too.
 * - {@link Framer.decoder} cuts messages from chunks as they arrive, without a promise per
 *   message: the built-in servers use it on their hot path.
 *
 * Messages are returned without their delimiter or length prefix.
 *
 * @example Encoding, then reading back from a receive buffer
 * ```ts
 * import { framer } from "./framing.ts";
 * import { ReceiveBuffer } from "../sockets/receive_buffer.ts";
 * import assert from "node:assert/strict";
 *
 * const u16 = framer("u16");
 * const wire = u16.encode(new TextEncoder().encode("hi"));
 * assert.deepEqual([...wire], [0, 2, 0x68, 0x69]);
 *
 * const buffer = new ReceiveBuffer();
 * buffer.push(wire.subarray(0, 3)); // the message arrives in two pieces
 * const pending = u16.read(buffer, { timeout: 1000 });
 * buffer.push(wire.subarray(3));
 * const got = await pending;
 * assert.equal(new TextDecoder().decode(got.data), "hi");
 *
 * const decoder = framer("netstring").decoder();
 * const messages = decoder.push(new TextEncoder().encode("5:hello,0:,"));
 * assert.deepEqual(messages.map((m) => new TextDecoder().decode(m)), ["hello", ""]);
 * ```
 *
 * @module
 */

import { indexOfBytes } from "../grammar/bytes.ts";
import { SockitError } from "../grammar/errors.ts";
import type { ReadOptions, ReadResult, ReceiveBuffer } from "../sockets/receive_buffer.ts";
import type { NamedSocket } from "../sockets/named_socket.ts";
import { nearest } from "../grammar/nearest.ts";

/** The frames `frame NAME …` and `--frame` accept (`none` clears the frame). */
export const FRAME_NAMES = ["line", "crlf", "u16", "u32", "netstring", "none"] as const;

/** A frame name other than `none`. */
export type FrameName = Exclude<(typeof FRAME_NAMES)[number], "none">;

/**
 * The largest message a framer accepts: 4 MiB, the receive buffer's cap (a bigger frame could
 * never be completed, since the socket stops reading at the cap).
 */
export const MAX_MESSAGE = 4 * 1024 * 1024;

/** Cuts messages out of chunks as they arrive (see {@link Framer.decoder}). */
export interface FrameDecoder {
  /**
   * Adds a chunk and returns the messages it completed, in order. The messages are views into
   * the decoder's storage, valid until the next `push`. Throws a SockitError on a malformed frame.
   */
  push(chunk: Uint8Array): Uint8Array[];
  /** Bytes held that do not yet form a whole message. */
  readonly pending: number;
  /** The bytes held at end of stream (an unterminated last line, or a cut frame). */
  rest(): Uint8Array;
}

/** One framing format (see the module documentation). */
export interface Framer {
  readonly name: FrameName;
  /**
   * The longest message `encode` takes, in bytes (a delimited one as long as the peer's decoder
   * reads), so a sender can refuse a larger payload before reading it.
   */
  readonly maxMessage: number;
  /** The message with its delimiter or length prefix; throws a SockitError if it cannot be framed. */
  encode(message: Uint8Array): Uint8Array;
  /**
   * Reads one whole message from a receive buffer, with one deadline for the whole call. Only
   * status `ok` consumes; on timeout or end of stream every byte stays buffered.
   */
  read(buffer: ReceiveBuffer, opts?: ReadOptions): Promise<ReadResult>;
  /** A new incremental decoder for a server connection. */
  decoder(maxMessage?: number): FrameDecoder;
}

/** The framer of that name; a SockitError suggesting the nearest on a typo. */
export function framer(name: string): Framer {
  const found = FRAMERS[name as FrameName];
  if (found) return found;
  const guess = nearest(name, FRAME_NAMES);
  throw new SockitError(`Unknown frame "${name}"`, {
    code: "usage",
    hint: guess ? `did you mean ${guess}?` : `frames: ${FRAME_NAMES.join(", ")}`,
  });
}

// --- per-socket frame setting --------------------------------------------------------------

const frames = new WeakMap<NamedSocket, Framer>();

/** The frame set on a socket with `frame NAME …`, if any. */
export function frameOf(socket: NamedSocket): Framer | undefined {
  return frames.get(socket);
}

/** Sets (or with `undefined`, clears) the frame of a socket. */
export function setFrame(socket: NamedSocket, frame: Framer | undefined): void {
  if (frame) frames.set(socket, frame);
  else frames.delete(socket);
}

// --- the framers -----------------------------------------------------------------------------

const LF = new Uint8Array([0x0a]);
const CRLF = new Uint8Array([0x0d, 0x0a]);

function tooBig(what: string, n: number, limit: number): SockitError {
  return new SockitError(
    `${what} of ${n} bytes is larger than the ${limit}-byte limit`,
    { code: "too-large" },
  );
}

/** Remaining time of an overall deadline, for the second read of a framed read. */
function remaining(opts: ReadOptions | undefined, started: number): ReadOptions | undefined {
  if (opts?.timeout === undefined) return opts;
  return { ...opts, timeout: Math.max(0, opts.timeout - (performance.now() - started)) };
}

class DelimitedFramer implements Framer {
  readonly maxMessage = MAX_MESSAGE;
  constructor(readonly name: "line" | "crlf", readonly delim: Uint8Array) {}

  encode(message: Uint8Array): Uint8Array {
    if (message.length > this.maxMessage) {
      throw tooBig(`a ${this.name} message`, message.length, this.maxMessage);
    }
    const at = indexOfBytes(message, this.delim);
    if (at !== -1) {
      throw new SockitError(
        `Cannot frame a message as ${this.name}: it contains the delimiter at byte ${at}`,
        { code: "usage" },
      );
    }
    const out = new Uint8Array(message.length + this.delim.length);
    out.set(message);
    out.set(this.delim, message.length);
    return out;
  }

  read(buffer: ReceiveBuffer, opts?: ReadOptions): Promise<ReadResult> {
    return buffer.recvUntil(this.delim, { ...opts, drop: true });
  }

  decoder(maxMessage = MAX_MESSAGE): FrameDecoder {
    const delim = this.delim;
    const store = new Store();
    let scanned = 0; // bytes of the store already searched (relative to its start)
    return {
      get pending() {
        return store.size;
      },
      rest: () => store.take(store.size).slice(),
      push(chunk) {
        store.append(chunk);
        const out: Uint8Array[] = [];
        while (true) {
          const view = store.view();
          const at = indexOfBytes(
            view,
            delim,
            Math.max(0, scanned - delim.length + 1),
            view.length,
          );
          if (at === -1) {
            scanned = view.length;
            if (view.length > maxMessage) throw tooBig("line", view.length, maxMessage);
            return out;
          }
          out.push(store.take(at + delim.length).subarray(0, at));
          scanned = 0;
        }
      },
    };
  }
}

class PrefixedFramer implements Framer {
  readonly #lookahead: RegExp;
  readonly maxMessage: number;
  constructor(readonly name: "u16" | "u32", readonly header: 2 | 4) {
    this.maxMessage = header === 2 ? 0xffff : MAX_MESSAGE;
    // Matches (zero-length) once `header` bytes are buffered: waits without consuming.
    this.#lookahead = new RegExp(`(?=([\\s\\S]{${header}}))`, "y");
  }

  #length(bytes: Uint8Array | string): number {
    const at = (i: number) => typeof bytes === "string" ? bytes.charCodeAt(i) : bytes[i];
    let n = 0;
    for (let i = 0; i < this.header; i++) n = n * 256 + at(i);
    return n;
  }

  encode(message: Uint8Array): Uint8Array {
    const limit = this.maxMessage;
    if (message.length > limit) throw tooBig(`a ${this.name} message`, message.length, limit);
    const out = new Uint8Array(this.header + message.length);
    let n = message.length;
    for (let i = this.header - 1; i >= 0; i--) {
      out[i] = n & 0xff;
      n = Math.floor(n / 256);
    }
    out.set(message, this.header);
    return out;
  }

  async read(buffer: ReceiveBuffer, opts?: ReadOptions): Promise<ReadResult> {
    const started = performance.now();
    const head = await buffer.recvMatch(this.#lookahead, opts);
    if (head.status !== "ok") return head;
    const n = this.#length(head.match![1]);
    if (n > MAX_MESSAGE) {
      const error = tooBig(`the ${this.name} frame`, n, MAX_MESSAGE);
      return { status: "error", data: buffer.peek(), error };
    }
    const whole = await buffer.recvExact(this.header + n, remaining(opts, started));
    if (whole.status !== "ok") return whole;
    return { status: "ok", data: whole.data.subarray(this.header) };
  }

  decoder(maxMessage = MAX_MESSAGE): FrameDecoder {
    const store = new Store();
    return {
      get pending() {
        return store.size;
      },
      rest: () => store.take(store.size).slice(),
      push: (chunk) => {
        store.append(chunk);
        const out: Uint8Array[] = [];
        while (store.size >= this.header) {
          const n = this.#length(store.view());
          if (n > maxMessage) throw tooBig(`the ${this.name} frame`, n, maxMessage);
          if (store.size < this.header + n) break;
          out.push(store.take(this.header + n).subarray(this.header));
        }
        return out;
      },
    };
  }
}

/** Digits, then the first non-digit; or 11 digits (too long a length). Zero-length lookahead. */
const NETSTRING_HEAD = /(?=(\d*)(\D)|(\d{11}))/y;
const MAX_DIGITS = 10;

class NetstringFramer implements Framer {
  readonly name = "netstring" as const;
  readonly maxMessage = MAX_MESSAGE;

  encode(message: Uint8Array): Uint8Array {
    if (message.length > MAX_MESSAGE) {
      throw tooBig("a netstring message", message.length, MAX_MESSAGE);
    }
    const head = new TextEncoder().encode(`${message.length}:`);
    const out = new Uint8Array(head.length + message.length + 1);
    out.set(head);
    out.set(message, head.length);
    out[out.length - 1] = 0x2c; // ","
    return out;
  }

  /** The message length from the digits and the byte after them, or a SockitError. */
  static #parse(digits: string, after: string | undefined, maxMessage: number): number {
    if (after === undefined || digits.length > MAX_DIGITS) {
      throw new SockitError(`Bad netstring: length has more than ${MAX_DIGITS} digits`, {
        code: "malformed",
      });
    }
    if (digits === "" || after !== ":") {
      throw new SockitError(
        `Bad netstring: expected LENGTH: at the start, got ${JSON.stringify(digits + after)}`,
        { code: "malformed" },
      );
    }
    const n = Number(digits);
    if (n > maxMessage) throw tooBig("the netstring", n, maxMessage);
    return n;
  }

  async read(buffer: ReceiveBuffer, opts?: ReadOptions): Promise<ReadResult> {
    const started = performance.now();
    const head = await buffer.recvMatch(NETSTRING_HEAD, opts);
    if (head.status !== "ok") return head;
    const m = head.match!;
    let n: number;
    try {
      n = NetstringFramer.#parse(m[1] ?? m[3], m[2], MAX_MESSAGE);
    } catch (error) {
      return { status: "error", data: buffer.peek(), error: error as Error };
    }
    const prefix = m[1].length + 1;
    const whole = await buffer.recvExact(prefix + n + 1, remaining(opts, started));
    if (whole.status !== "ok") return whole;
    if (whole.data[whole.data.length - 1] !== 0x2c) {
      const error = new SockitError(`Bad netstring: the ${n}-byte message is not followed by ","`, {
        code: "malformed",
      });
      return { status: "error", data: whole.data, error };
    }
    return { status: "ok", data: whole.data.subarray(prefix, prefix + n) };
  }

  decoder(maxMessage = MAX_MESSAGE): FrameDecoder {
    const store = new Store();
    return {
      get pending() {
        return store.size;
      },
      rest: () => store.take(store.size).slice(),
      push(chunk) {
        store.append(chunk);
        const out: Uint8Array[] = [];
        while (store.size > 0) {
          const view = store.view();
          let digits = 0;
          while (digits < view.length && digits <= MAX_DIGITS && isDigit(view[digits])) digits++;
          if (digits === view.length && digits <= MAX_DIGITS) break; // the length is still arriving
          const text = String.fromCharCode(...view.subarray(0, digits));
          const after = digits > MAX_DIGITS ? undefined : String.fromCharCode(view[digits]);
          const n = NetstringFramer.#parse(text, after, maxMessage);
          const total = digits + 1 + n + 1;
          if (view.length < total) break;
          if (view[total - 1] !== 0x2c) {
            throw new SockitError(`Bad netstring: the ${n}-byte message is not followed by ","`, {
              code: "malformed",
            });
          }
          out.push(store.take(total).subarray(digits + 1, digits + 1 + n));
        }
        return out;
      },
    };
  }
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

const FRAMERS: Record<FrameName, Framer> = {
  line: new DelimitedFramer("line", LF),
  crlf: new DelimitedFramer("crlf", CRLF),
  u16: new PrefixedFramer("u16", 2),
  u32: new PrefixedFramer("u32", 4),
  netstring: new NetstringFramer(),
};

// --- helpers ---------------------------------------------------------------------------------

/**
 * A decoder's storage: one growable array with start/end offsets. `take` returns a view and
 * advances; storage is compacted on the next append, so views stay valid until then.
 */
class Store {
  #buf = new Uint8Array(0);
  #start = 0;
  #end = 0;

  get size(): number {
    return this.#end - this.#start;
  }

  append(chunk: Uint8Array): void {
    const size = this.size;
    if (this.#buf.length - this.#end < chunk.length) {
      if (size + chunk.length <= this.#buf.length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Uint8Array(Math.max(1024, this.#buf.length * 2, size + chunk.length));
        grown.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = grown;
      }
      this.#start = 0;
      this.#end = size;
    } else if (size === 0) {
      this.#start = this.#end = 0;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  view(): Uint8Array {
    return this.#buf.subarray(this.#start, this.#end);
  }

  take(n: number): Uint8Array {
    const out = this.#buf.subarray(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }
}
