/**
 * A log file written in 1 MiB chunks: small writes are copied into the current chunk, a full
 * chunk is written at once, and large payloads are written where they are, synchronously. It is meant for the log writer's own thread
 * (`log/log_worker.ts`), where a blocking write holds back nothing but the log.
 *
 * @module
 */

const CHUNK = 1024 * 1024;
/** Bytes this many or more skip the buffer: one more write costs less than copying them. */
const DIRECT = 32 * 1024;

const encoder = new TextEncoder();

/**
 * An append-only file with a chunk-sized buffer.
 *
 * @example Writing and closing
 * ```ts
 * import assert from "node:assert/strict";
 * import { BufferedFile } from "./file_writer.ts";
 * const path = await Deno.makeTempFile();
 * const file = BufferedFile.open(path);
 * file.write(new TextEncoder().encode("hello "));
 * file.writeText("world\n");
 * file.close();
 * assert.equal(await Deno.readTextFile(path), "hello world\n");
 * await Deno.remove(path);
 * ```
 */
export class BufferedFile {
  #file: Deno.FsFile;
  #chunk = new Uint8Array(CHUNK);
  #used = 0;
  #failed: unknown;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Opens `path` for writing, truncating it unless `truncate` is false. */
  static open(path: string, { truncate = true } = {}): BufferedFile {
    return new BufferedFile(Deno.openSync(path, { write: true, create: true, truncate }));
  }

  /** Appends `bytes`: copied when small, written as they are (after what is buffered) when large. */
  write(bytes: Uint8Array): void {
    if (bytes.length >= DIRECT) {
      this.#flush();
      return this.#writeOut(bytes);
    }
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(bytes.length - off, CHUNK - this.#used);
      this.#chunk.set(bytes.subarray(off, off + n), this.#used);
      this.#used += n;
      off += n;
      if (this.#used === CHUNK) this.#flush();
    }
  }

  /** Appends `text` as UTF-8. */
  writeText(text: string): void {
    if (text.length * 3 <= CHUNK - this.#used) {
      this.#used += encoder.encodeInto(text, this.#chunk.subarray(this.#used)).written;
    } else {
      this.write(encoder.encode(text));
    }
  }

  /**
   * Appends `text`, which must be ASCII (base64, JSON of ASCII), encoded straight into the
   * buffer with no copy in between: a text longer than a chunk is encoded into one of its own.
   */
  writeAscii(text: string): void {
    if (text.length > CHUNK - this.#used) {
      this.#flush();
      if (text.length > CHUNK) {
        const own = new Uint8Array(text.length);
        encoder.encodeInto(text, own);
        this.#writeOut(own);
        return;
      }
    }
    this.#used += encoder.encodeInto(text, this.#chunk.subarray(this.#used)).written;
  }

  /** Writes the current chunk out. */
  #flush(): void {
    if (this.#used === 0) return;
    this.#writeOut(this.#chunk.subarray(0, this.#used));
    this.#used = 0;
  }

  /** Writes `bytes` whole; after a failure nothing more is written (close reports it). */
  #writeOut(bytes: Uint8Array): void {
    if (this.#failed) return;
    try {
      let off = 0;
      while (off < bytes.length) off += this.#file.writeSync(bytes.subarray(off));
    } catch (error) {
      this.#failed = error;
    }
  }

  /** Writes everything buffered and closes the file; throws if a write failed. */
  close(): void {
    this.#flush();
    this.#file.close();
    if (this.#failed) throw this.#failed;
  }
}
