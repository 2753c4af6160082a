/**
 * The sender for bench/log_wakeups.ts: sends a file to `127.0.0.1:PORT` in 256 KiB chunks read
 * into SharedArrayBuffers, and hands each chunk to a writer thread in one of these ways:
 *
 * - `none`: no writer; one buffer is reused, hot in the cache.
 * - `rotate`: no writer; the chunks cycle through 64 buffers, as a log's held chunks do.
 * - `posted`: a worker gets each turn's chunks by `postMessage`, writes them and answers, and
 *   sleeps in its event loop in between: the shape of log/logger.ts today.
 * - `spinning`: a worker polls a ring of chunk numbers in shared memory and writes each chunk;
 *   it never sleeps while chunks keep coming.
 *
 *   deno run -A bench/_log_wakeups_sender.ts MODE PORT FILE OUT
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { writeAll } from "./_util.ts";

const CHUNK = 256 * 1024;
const POOL = 64;
const RING = 1024;
/** Control words: [0] chunks handed on, [1] chunks written, [2] closed; the ring from [8]. */
const HEAD = 0, TAIL = 1, CLOSED = 2, SLOTS = 8;

interface Writer {
  /** Takes a chunk that may be reused once its writer is done with it. */
  write(chunk: Uint8Array<SharedArrayBuffer>): void;
  /** A buffer to read the next chunk into, once one is free. */
  buffer(): Promise<SharedArrayBuffer>;
  close(): Promise<void>;
}

function writeFile(file: Deno.FsFile, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}

// The worker's side of `posted` and `spinning`.
if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  let file: Deno.FsFile | undefined;
  self.onmessage = ({ data: m }) => {
    if (m.open) {
      file = Deno.openSync(m.open, { write: true, create: true, truncate: true });
      if (!m.ring) return;
      const ctl = new Int32Array(m.ring);
      const views = (m.pool as SharedArrayBuffer[]).map((b) => new Uint8Array(b));
      for (let tail = 0;;) {
        if (Atomics.load(ctl, HEAD) === tail) {
          if (Atomics.load(ctl, CLOSED)) break;
          Atomics.wait(ctl, HEAD, tail, 0); // returns at once; the check gives the core a breath
          continue;
        }
        const slot = SLOTS + (tail % RING) * 2;
        writeFile(file, views[ctl[slot]].subarray(0, ctl[slot + 1]));
        Atomics.store(ctl, TAIL, ++tail);
      }
      file.close();
      self.postMessage({ closed: true });
    } else if (m.close) {
      file?.close();
      self.postMessage({ closed: true });
    } else {
      for (const chunk of m.chunks) writeFile(file!, chunk);
      self.postMessage({ done: m.chunks.map((c: Uint8Array) => c.buffer) });
    }
  };
} else {
  await send(...(Deno.args as [string, string, string, string]));
}

async function send(mode: string, port: string, path: string, out: string): Promise<void> {
  const writer = makeWriter(mode, out);
  using source = await Deno.open(path);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  while (true) {
    const chunk = new Uint8Array(await writer.buffer());
    let n = 0;
    while (n < CHUNK) {
      const r = await source.read(chunk.subarray(n));
      if (r === null) break;
      n += r;
    }
    if (n === 0) break;
    const piece = chunk.subarray(0, n);
    await writeAll(conn, piece);
    writer.write(piece);
    if (n < CHUNK) break;
  }
  conn.close();
  await writer.close();
}

function makeWriter(mode: string, out: string): Writer {
  const free: SharedArrayBuffer[] = [];
  const next = () => free.pop() ?? new SharedArrayBuffer(CHUNK);
  if (mode === "none") {
    return {
      write: (chunk) => void free.push(chunk.buffer),
      buffer: () => Promise.resolve(next()),
      close: () => Promise.resolve(),
    };
  }
  if (mode === "rotate") {
    const pool = Array.from({ length: POOL }, () => new SharedArrayBuffer(CHUNK));
    let i = 0;
    return {
      write: () => {},
      buffer: () => Promise.resolve(pool[i++ % POOL]),
      close: () => Promise.resolve(),
    };
  }
  const worker = new Worker(import.meta.url, { type: "module" });
  let closed!: () => void;
  const finished = new Promise<void>((resolve) => closed = resolve);
  let wake: (() => void) | undefined;
  if (mode === "posted") {
    let turn: Uint8Array[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let held = 0;
    const post = () => {
      clearTimeout(timer);
      timer = undefined;
      if (turn.length) worker.postMessage({ chunks: turn });
      turn = [];
    };
    worker.onmessage = ({ data }) => {
      if (data.closed) return closed();
      held -= data.done.length;
      free.push(...data.done);
      wake?.();
    };
    worker.postMessage({ open: out });
    return {
      write(chunk) {
        turn.push(chunk);
        held++;
        if (turn.length === 4) post();
        else timer ??= setTimeout(post, 0);
      },
      async buffer() {
        while (held >= POOL) await new Promise<void>((resolve) => wake = resolve);
        return next();
      },
      close() {
        post();
        worker.postMessage({ close: true });
        return finished.then(() => worker.terminate());
      },
    };
  }
  if (mode !== "spinning") throw new Error(`unknown mode ${mode}`);
  const pool = Array.from({ length: POOL }, () => new SharedArrayBuffer(CHUNK));
  const index = new Map(pool.map((b, i) => [b, i]));
  const ctl = new Int32Array(new SharedArrayBuffer((SLOTS + RING * 2) * 4));
  worker.onmessage = () => closed();
  worker.postMessage({ open: out, ring: ctl.buffer, pool });
  let head = 0;
  let reclaimed = 0;
  const sent: SharedArrayBuffer[] = [];
  free.push(...pool);
  return {
    write(chunk) {
      const slot = SLOTS + (head % RING) * 2;
      ctl[slot] = index.get(chunk.buffer)!;
      ctl[slot + 1] = chunk.length;
      sent.push(chunk.buffer);
      Atomics.store(ctl, HEAD, ++head);
    },
    async buffer() {
      // Written chunks are free again, the latest on top: it is the one most likely cached.
      while (true) {
        for (const tail = Atomics.load(ctl, TAIL); reclaimed < tail; reclaimed++) {
          free.push(sent.shift()!);
        }
        if (free.length) return free.pop()!;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    },
    close() {
      Atomics.store(ctl, CLOSED, 1);
      return finished.then(() => worker.terminate());
    },
  };
}
