/**
 * What `interact` and `watch` share: the terminal they need, the waiting read that feeds them,
 * and received text shown raw with its control bytes made visible.
 *
 * @module
 */

import { SockitError, systemErrorCode } from "../grammar/errors.ts";
import { quote } from "../grammar/render.ts";
import { frameOf } from "../protocols/framing.ts";
import type { ReceiveBuffer } from "../sockets/receive_buffer.ts";
import type { ReceivingSocket } from "./_sockets.ts";
import type { CommandContext, Terminal } from "./types.ts";

/** The REPL's terminal, or the one-line error for batch runs, pipes and replays. */
export function needTerminal(ctx: CommandContext, command: string, action: string): Terminal {
  if (ctx.terminal) return ctx.terminal;
  throw new SockitError(`Cannot ${action}: ${command} needs a terminal`, {
    code: "usage",
    hint: "run it in the interactive shell (sockit); scripts use send and recv",
  });
}

/** The most bytes one read hands over. */
const CHUNK = 64 * 1024;

/**
 * Reads `socket` until `signal` aborts or the stream ends, handing every chunk to `each` as it
 * arrives (a framed socket: every message). No timer runs: each read waits on the socket's own
 * data. Returns the read that ended it (`eof`, `cancelled`); a failed read throws a one-line
 * error naming `action`. What was not handed over stays buffered.
 */
export async function readChunks(
  socket: ReceivingSocket,
  signal: AbortSignal,
  action: string,
  each: (data: Uint8Array) => void,
): Promise<"eof" | "cancelled"> {
  while (true) {
    const frame = frameOf(socket);
    const read = frame
      ? await frame.read(socket.buffer as ReceiveBuffer, { signal })
      : await socket.buffer.recv(CHUNK, { signal });
    if (read.status === "ok") each(read.data);
    else if (read.status === "eof" || read.status === "cancelled") return read.status;
    else {
      throw new SockitError(
        `Cannot ${action} "${socket.name}": ${read.error?.message ?? "read failed"}`,
        { code: systemErrorCode(read.error) },
      );
    }
  }
}

/** Escapes of {@linkcode quote} that a terminal shows raw: line ends, tabs, quotes, backslashes. */
const RAW = /\\r\\n|\\(["\\nt])/g;
const RAW_CHARS: Record<string, string> = { '"': '"', "\\": "\\", n: "\n", t: "\t" };

/**
 * Received text as a terminal shows it in `interact`: printable text, line ends (`\n`, `\r\n`)
 * and tabs raw, every other control byte, invalid UTF-8 and invisible character escaped as
 * {@linkcode quote} escapes it (`\x1b`, `\0`, `\u{202e}`), so no byte can move the cursor or
 * recolour the screen. A UTF-8 character split across reads is held back until it is whole.
 *
 * @example An escape sequence is shown, not obeyed
 * ```ts
 * import assert from "node:assert/strict";
 * import { VisibleText } from "./_terminal.ts";
 * const view = new VisibleText();
 * const bytes = new TextEncoder().encode('a "b"\\\r\n\x1b[2Jé');
 * assert.equal(view.push(bytes.subarray(0, 13)), 'a "b"\\\n\\x1b[2J');
 * assert.equal(view.push(bytes.subarray(13)), "é");
 * ```
 */
export class VisibleText {
  #held = new Uint8Array(0);

  /** The text to show for the next received bytes. */
  push(bytes: Uint8Array): string {
    const all = this.#held.length ? new Uint8Array([...this.#held, ...bytes]) : bytes;
    const keep = unfinishedTail(all);
    this.#held = all.slice(all.length - keep);
    return visible(all.subarray(0, all.length - keep));
  }

  /** Whatever is held back (an unfinished character), shown as escapes. */
  flush(): string {
    const rest = visible(this.#held);
    this.#held = new Uint8Array(0);
    return rest;
  }
}

function visible(bytes: Uint8Array): string {
  if (bytes.length === 0) return "";
  return quote(bytes).slice(1, -1).replace(RAW, (_, c) => c ? RAW_CHARS[c] : "\n");
}

/** How many bytes at the end start a UTF-8 character that is not complete yet (0–3). */
function unfinishedTail(bytes: Uint8Array): number {
  for (let k = 1; k <= Math.min(3, bytes.length); k++) {
    const b = bytes[bytes.length - k];
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > k ? k : 0;
  }
  return 0;
}
