/**
 * A log file written behind the traffic: bytes are copied into 1 MiB chunks which are written
 * in the background, in order, so a tap never waits for the disk unless the file falls more
 * than {@linkcode HIGH_WATER} bytes behind (then {@link BufferedFile.write} returns a promise
 * to wait on, which holds the transfer back: memory stays bounded).
 *
 * @module
 */

const CHUNK = 1024 * 1024;
/** How far behind the file may fall before writers are asked to wait. */
export const HIGH_WATER = 16 * 1024 * 1024;

/** How many written chunks are kept for reuse. */
const SPARE = 8;

const encoder = new TextEncoder();

/**
 * An append-only file with a write-behind buffer.
 *
 * @example Writing and closing
 * ```ts
 * import assert from "node:assert/strict";
 * import { BufferedFile } from "./file_writer.ts";
 * const path = await Deno.makeTempFile();
 * const file = await BufferedFile.create(path);
 * file.write(new TextEncoder().encode("hello "));
 * file.writeText("world\n");
 * await file.close();
 * assert.equal(await Deno.readTextFile(path), "hello world\n");
 * await Deno.remove(path);
 * ```
 */
export class BufferedFile {
  #file: Deno.FsFile;
  /** Chunks already written, kept for reuse (a fresh 1 MiB chunk is zeroed: reuse is free). */
  #spare: Uint8Array<ArrayBuffer>[] = [];
  #chunk = new Uint8Array(CHUNK);
  #used = 0;
  #behind = 0;
  #queue: Promise<void> = Promise.resolve();
  #failed: unknown;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Creates (or truncates) `path` for writing. */
  static async create(path: string): Promise<BufferedFile> {
    return new BufferedFile(await Deno.open(path, { write: true, create: true, truncate: true }));
  }

  /** Appends a copy of `bytes`; a promise when the file is too far behind. */
  write(bytes: Uint8Array): Promise<void> | undefined {
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(bytes.length - off, CHUNK - this.#used);
      this.#chunk.set(bytes.subarray(off, off + n), this.#used);
      this.#used += n;
      off += n;
      if (this.#used === CHUNK) this.#flush();
    }
    return this.#behind > HIGH_WATER ? this.#queue : undefined;
  }

  /** Appends `text` as UTF-8. */
  writeText(text: string): Promise<void> | undefined {
    if (text.length * 3 <= CHUNK - this.#used) {
      this.#used += encoder.encodeInto(text, this.#chunk.subarray(this.#used)).written;
      return this.#behind > HIGH_WATER ? this.#queue : undefined;
    }
    return this.write(encoder.encode(text));
  }

  /**
   * Appends `text`, which must be ASCII (base64, JSON of ASCII), encoded straight into the
   * buffer with no copy in between: a text longer than a chunk is encoded into one of its own.
   */
  writeAscii(text: string): Promise<void> | undefined {
    if (text.length > CHUNK - this.#used) {
      this.#flush();
      if (text.length > CHUNK) {
        const own = new Uint8Array(text.length);
        encoder.encodeInto(text, own);
        this.#queueWrite(own, false);
        return this.#behind > HIGH_WATER ? this.#queue : undefined;
      }
    }
    this.#used += encoder.encodeInto(text, this.#chunk.subarray(this.#used)).written;
    return this.#behind > HIGH_WATER ? this.#queue : undefined;
  }

  /** Hands the current chunk to the background writer. */
  #flush(): void {
    if (this.#used === 0) return;
    const full = this.#chunk;
    this.#chunk = this.#spare.pop() ?? new Uint8Array(CHUNK);
    const used = this.#used;
    this.#used = 0;
    this.#queueWrite(full.subarray(0, used), true);
  }

  /** Writes `bytes` after everything queued; `reuse`: its buffer is a chunk to keep after. */
  #queueWrite(bytes: Uint8Array, reuse: boolean): void {
    this.#behind += bytes.length;
    this.#queue = this.#queue.then(async () => {
      try {
        if (this.#failed) return;
        let off = 0;
        while (off < bytes.length) off += await this.#file.write(bytes.subarray(off));
      } catch (error) {
        this.#failed = error;
      } finally {
        this.#behind -= bytes.length;
        if (reuse && this.#spare.length < SPARE) {
          this.#spare.push(new Uint8Array(bytes.buffer as ArrayBuffer, 0, CHUNK));
        }
      }
    });
  }

  /** Writes everything buffered and closes the file; throws if a write failed. */
  async close(): Promise<void> {
    this.#flush();
    await this.#queue;
    this.#file.close();
    if (this.#failed) throw this.#failed;
  }
}
