/**
 * One direction of one relayed stream connection: read one side, write the other, until the
 * source ends (then the other side's writing is shut: half-close, the opposite direction goes
 * on) or either side fails. The hot path is a read into a reused buffer and a write of what was
 * read, nothing else: no timers, no stream adapters, no per-chunk promise beyond the read and the
 * write. The buffer starts small (idle connections stay cheap) and grows once to
 * {@link PIPE_MAX} the first time a read fills it (bulk transfers get big writes).
 *
 * {@link Stage}s sit between the read and the write, per direction and per connection: the
 * seam where faults on purpose (issue 16's toxics: latency, bandwidth, slicer, limit_data …) go.
 *
 * @module
 */

import type { StreamTransport } from "./stream_socket.ts";

/** The first read buffer of a direction: 16 KiB. */
export const PIPE_START = 16 * 1024;
/** The buffer a direction grows to once a read fills the first: 256 KiB. */
export const PIPE_MAX = 256 * 1024;

/** Passes bytes on to the next stage, or to the destination; resolves once they are taken. */
export type Forward = (chunk: Uint8Array) => Promise<void>;

/**
 * A step between reading one side of a relayed connection and writing the other. `data` gets
 * each chunk in order and passes it on through `next` (whole, cut, delayed, or not at all) and
 * resolves when it is done with `chunk`: the buffer is reused for the next read after that.
 * `end` gets the source's end of stream and passes it on through `next` (default: at once).
 *
 * @example A stage that counts what passes
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Stage } from "./relay_pipe.ts";
 * let seen = 0;
 * const counting: Stage = { data: (chunk, next) => (seen += chunk.length, next(chunk)) };
 * await counting.data(new Uint8Array(3), () => Promise.resolve());
 * assert.equal(seen, 3);
 * ```
 */
export interface Stage {
  data(chunk: Uint8Array, next: Forward): Promise<void>;
  end?(next: () => Promise<void>): Promise<void>;
}

/** How a direction ended. */
export type PipeEnd =
  /** The source ended its writing; the destination's writing was shut. */
  | { end: "eof" }
  /** Reading the source failed (a reset), or it was closed under the pipe. */
  | { end: "read-failed"; error: unknown }
  /** Writing the destination failed (it reset or went away). */
  | { end: "write-failed"; error: unknown };

/** Writes every byte of `chunk` to `to`. */
async function writeAll(to: StreamTransport, chunk: Uint8Array): Promise<void> {
  let off = 0;
  while (off < chunk.length) off += await to.write(off === 0 ? chunk : chunk.subarray(off));
}

/**
 * The destination behind `stages`: `forward` passes a chunk through them in order and writes
 * what comes out to `to` (`counted` hears of each write); `finish` passes the end of stream
 * through them and shuts `to`'s writing. {@link pipe} uses it, and so does a forwarder with its
 * own read loop (`record --proxy`), so stages run the same everywhere.
 *
 * @example Through no stage: write and shut
 * ```ts
 * import assert from "node:assert/strict";
 * import { throughStages } from "./relay_pipe.ts";
 * const written: number[] = [];
 * let shut = false;
 * const to = {
 *   write: (p: Uint8Array) => (written.push(p.length), Promise.resolve(p.length)),
 *   closeWrite: () => (shut = true, Promise.resolve()),
 * };
 * const { forward, finish } = throughStages(to as never, [], () => {});
 * await forward(new Uint8Array(3));
 * await finish();
 * assert.deepEqual(written, [3]);
 * assert.equal(shut, true);
 * ```
 */
export function throughStages(
  to: StreamTransport,
  stages: readonly Stage[],
  counted: (n: number) => void,
): { forward: Forward; finish: () => Promise<void> } {
  let forward: Forward = async (chunk) => {
    await writeAll(to, chunk);
    counted(chunk.length);
  };
  let finish = () => to.closeWrite();
  for (let i = stages.length - 1; i >= 0; i--) {
    const stage = stages[i];
    const next = forward;
    const nextEnd = finish;
    forward = (chunk) => stage.data(chunk, next);
    finish = stage.end ? () => stage.end!(nextEnd) : nextEnd;
  }
  return { forward, finish };
}

/**
 * Moves bytes from `from` to `to` until `from` ends (then `to`'s writing is shut) or either side
 * fails; `counted` hears of every byte `to` took. Never throws: it says how it ended.
 *
 * @example Relaying one direction: what `a` sends reaches `d`, then the end of stream
 * ```ts
 * import assert from "node:assert/strict";
 * import { pipe } from "./relay_pipe.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const a = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const b = await listener.accept();
 * const c = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const d = await listener.accept();
 * let bytes = 0;
 * const done = pipe(b, c, (n) => bytes += n);
 * await a.write(new TextEncoder().encode("hi"));
 * await a.closeWrite();
 * const got = new Uint8Array(8);
 * assert.equal(await d.read(got), 2);
 * assert.equal(await d.read(got), null);
 * assert.deepEqual(await done, { end: "eof" });
 * assert.equal(bytes, 2);
 * for (const conn of [a, b, c, d]) conn.close();
 * listener.close();
 * ```
 */
export async function pipe(
  from: StreamTransport,
  to: StreamTransport,
  counted: (n: number) => void,
  stages: readonly Stage[] = [],
): Promise<PipeEnd> {
  let buf = new Uint8Array(PIPE_START);
  if (stages.length === 0) {
    // The hot path: read, write, count.
    while (true) {
      let n: number | null;
      try {
        n = await from.read(buf);
      } catch (error) {
        return { end: "read-failed", error };
      }
      try {
        if (n === null) {
          await to.closeWrite();
          return { end: "eof" };
        }
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      } catch (error) {
        return { end: "write-failed", error };
      }
      counted(n);
      if (n === buf.length && buf.length < PIPE_MAX) buf = new Uint8Array(PIPE_MAX);
    }
  }
  const { forward, finish } = throughStages(to, stages, counted);
  while (true) {
    let n: number | null;
    try {
      n = await from.read(buf);
    } catch (error) {
      return { end: "read-failed", error };
    }
    try {
      if (n === null) {
        await finish();
        return { end: "eof" };
      }
      await forward(buf.subarray(0, n));
    } catch (error) {
      return { end: "write-failed", error };
    }
    if (n === buf.length && buf.length < PIPE_MAX) buf = new Uint8Array(PIPE_MAX);
  }
}
