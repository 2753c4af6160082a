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

  /** Hands the current chunk to the background writer. */
  #flush(): void {
    if (this.#used === 0) return;
    const chunk = this.#chunk.subarray(0, this.#used);
    this.#chunk = new Uint8Array(CHUNK);
    this.#used = 0;
    this.#behind += chunk.length;
    this.#queue = this.#queue.then(async () => {
      if (this.#failed) return;
      try {
        let off = 0;
        while (off < chunk.length) off += await this.#file.write(chunk.subarray(off));
      } catch (error) {
        this.#failed = error;
      } finally {
        this.#behind -= chunk.length;
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
