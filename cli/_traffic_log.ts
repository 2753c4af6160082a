/**
 * `-o FILE` / `-x FILE` of `sockit connect` and `sockit listen`: both directions written to a
 * file in the canonical rendering of grammar/render.ts, one entry per chunk: `> ` for bytes
 * sent, `< ` for bytes received, then the quoted string (`-o`) or, after a byte count, the
 * hexdump (`-x`). `parseRendered` reads each entry back to its bytes.
 *
 * @module
 */
import { hexdump, quote } from "../grammar/render.ts";
import { SockitError, systemErrorCode, systemReason } from "../grammar/errors.ts";

const encoder = new TextEncoder();

/** Where both directions of a pipe are logged. */
export class TrafficLog {
  #file: Deno.FsFile;
  #hex: boolean;

  private constructor(file: Deno.FsFile, hex: boolean) {
    this.#file = file;
    this.#hex = hex;
  }

  /** Opens (truncates) `path`; `hex` logs hexdumps instead of quoted strings. */
  static open(path: string, hex: boolean): TrafficLog {
    try {
      return new TrafficLog(
        Deno.openSync(path, { write: true, create: true, truncate: true }),
        hex,
      );
    } catch (error) {
      throw new SockitError(`Cannot log to "${path}": ${systemReason(error)}`, {
        code: systemErrorCode(error),
      });
    }
  }

  /** Logs bytes we sent. */
  sent(bytes: Uint8Array): void {
    this.#entry(">", bytes);
  }

  /** Logs bytes we received. */
  received(bytes: Uint8Array): void {
    this.#entry("<", bytes);
  }

  #entry(arrow: string, bytes: Uint8Array): void {
    const text = this.#hex
      ? `${arrow} ${bytes.length} bytes\n${hexdump(bytes)}\n`
      : `${arrow} ${quote(bytes)}\n`;
    const data = encoder.encode(text);
    for (let off = 0; off < data.length;) off += this.#file.writeSync(data.subarray(off));
  }

  /** Closes the file. */
  close(): void {
    try {
      this.#file.close();
    } catch { /* closed */ }
  }
}
