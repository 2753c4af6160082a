/**
 * The data path of `sockit connect` and `sockit listen`: standard input to the socket and the
 * socket to standard output, byte for byte, with netcat's ending (`nc -N`): at end of input the
 * writing side is half-closed and output goes on until the peer closes. Each direction ends on
 * its own: after the peer's half-close, input still flows to it (as ncat does, where socat cuts
 * off), and the pipe ends when both directions have.
 *
 * Both directions move through large reused buffers with no timer or promise race per chunk:
 * the idle deadline is one timer that looks at a timestamp the loops update.
 *
 * @module
 */
import { CrlfTranslator } from "../grammar/crlf.ts";
import { systemErrorCode, systemReason } from "../grammar/errors.ts";
import { formatDuration } from "../grammar/duration.ts";
import type { PipeConn } from "./_endpoints.ts";
import type { TrafficLog } from "./_traffic_log.ts";

/** Bytes one read may bring (stdin and socket). */
const CHUNK = 1024 * 1024;

/** Something to read bytes from, as `Deno.stdin` is. */
export interface Reader {
  read(p: Uint8Array): Promise<number | null>;
}

/** Something to write bytes to, as `Deno.stdout` is. */
export interface Writer {
  write(p: Uint8Array): Promise<number>;
}

/**
 * Standard input as chunks, shared by the connections a `listen -k` serves in turn: a read in
 * flight when one connection ends is handed to the next, so no input byte is lost. Each chunk
 * is a view of one of two reused buffers, valid until the chunk after the next is asked for.
 */
export class ChunkSource {
  #reader: Reader;
  #buffers: Uint8Array[];
  #turn = 0;
  #inflight?: Promise<Uint8Array | null>;
  #ended = false;

  constructor(reader: Reader, size = CHUNK) {
    this.#reader = reader;
    this.#buffers = [new Uint8Array(size), new Uint8Array(size)];
  }

  /** True once the input has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The next chunk, or null at end of input. */
  next(): Promise<Uint8Array | null> {
    const p = this.#inflight ?? this.#read();
    this.#inflight = undefined;
    return p;
  }

  /** Gives back a chunk promise that was taken but not used, for the next taker. */
  giveBack(p: Promise<Uint8Array | null>): void {
    this.#inflight = p;
  }

  async #read(): Promise<Uint8Array | null> {
    if (this.#ended) return null;
    const buf = this.#buffers[this.#turn];
    this.#turn ^= 1;
    const n = await this.#reader.read(buf);
    if (n === null) {
      this.#ended = true;
      return null;
    }
    return buf.subarray(0, n);
  }
}

/** How a pipe behaves; all optional. */
export interface PipeOptions {
  /** Only send: do not print what arrives; the pipe ends at end of input. */
  sendOnly?: boolean;
  /** Only receive: do not read standard input. */
  recvOnly?: boolean;
  /** At end of input, do not half-close the socket. */
  noShutdown?: boolean;
  /** Ends the pipe (exit 1) when nothing moved either way for this many ms. */
  idleTimeout?: number;
  /** Translate the input's `\n` to `\r\n`. */
  crlf?: boolean;
  /** Logs both directions. */
  log?: TrafficLog;
}

/** How a pipe ended. */
export interface PipeOutcome {
  /** 0: the peer closed (or input ended with --send-only); 1: reset, error or idle timeout. */
  code: 0 | 1;
  /** Why it failed, as one line. */
  why?: string;
}

async function writeAll(w: Writer, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await w.write(data.subarray(off));
}

/**
 * Joins `conn` to `source` (in) and `output` (out) until the pipe ends, then closes `conn`.
 * `remote` names the peer in messages.
 */
export async function pipe(
  conn: PipeConn,
  source: ChunkSource,
  output: Writer,
  remote: string,
  options: PipeOptions = {},
): Promise<PipeOutcome> {
  let last = Date.now();
  let finish!: (o: PipeOutcome) => void;
  const ended = new Promise<PipeOutcome>((resolve) => finish = resolve);
  let stopped = false;
  // Each direction ends on its own (a half-close either way); the pipe ends when both have.
  let sent = false;
  let received = false;
  const fail = (error: unknown) =>
    finish({
      code: 1,
      why: systemErrorCode(error) === "reset"
        ? `connection reset by ${remote}`
        : `${systemReason(error)} (${remote})`,
    });

  // The input read in flight: handed back to the source when the pipe stops, so the next
  // connection of `listen -k` gets its bytes.
  let next: Promise<Uint8Array | null> | undefined;
  const upstream = async () => {
    const crlf = options.crlf ? new CrlfTranslator() : undefined;
    const max = conn.datagram;
    next = source.next();
    while (true) {
      const chunk = await next;
      if (stopped) return;
      if (chunk === null) break;
      next = source.next(); // read the next chunk while this one is written
      last = Date.now();
      const data = crlf ? crlf.push(chunk) : chunk;
      options.log?.sent(data);
      if (max === undefined) await writeAll(conn, data);
      else {
        for (let off = 0; off < data.length; off += max) {
          await conn.write(data.subarray(off, off + max));
        }
      }
      if (stopped) return;
    }
    next = undefined;
    if (!options.noShutdown && !options.sendOnly) await conn.closeWrite();
    sent = true;
    if (received || options.sendOnly) finish({ code: 0 });
  };

  const downstream = async () => {
    const buf = new Uint8Array(CHUNK);
    while (true) {
      const n = await conn.read(buf);
      if (n === null || stopped) break;
      last = Date.now();
      const data = buf.subarray(0, n);
      options.log?.received(data);
      try {
        await writeAll(output, data);
      } catch {
        break; // standard output is gone (`| head`): nothing more to print
      }
    }
    received = true;
    if (sent || options.recvOnly || conn.endsTogether) finish({ code: 0 });
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = options.idleTimeout;
  if (idle !== undefined) {
    const check = () => {
      const quiet = Date.now() - last;
      if (quiet >= idle) {
        finish({ code: 1, why: `idle for ${formatDuration(idle)} with ${remote}` });
      } else timer = setTimeout(check, idle - quiet);
    };
    timer = setTimeout(check, idle);
  }

  if (!options.recvOnly) upstream().catch(fail);
  if (!options.sendOnly) downstream().catch(fail);
  let outcome = await ended;
  const why = outcome.code === 0 ? conn.failure?.() : undefined;
  if (why) outcome = { code: 1, why };
  stopped = true;
  if (next) source.giveBack(next);
  clearTimeout(timer);
  try {
    conn.close();
  } catch { /* closed */ }
  return outcome;
}
