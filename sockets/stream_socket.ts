import { SockitError } from "./errors.ts";
import { type EventSink, NamedSocket, type SocketInfo, type SocketState } from "./named_socket.ts";
import { type ReadOptions, type ReadResult, ReceiveBuffer } from "./receive_buffer.ts";

/** The few raw calls a stream transport must supply (a `Deno.Conn` does). */
export interface StreamTransport {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  readonly localAddr: Deno.Addr;
  readonly remoteAddr: Deno.Addr;
}

/** Settings for a stream socket; all optional. */
export interface StreamSocketOptions {
  /** `client` when we dialled, `accepted` for a listener's child. */
  role?: "client" | "accepted";
  /** Receive buffer high-water mark in bytes: above it the socket stops reading. */
  cap?: number;
}

const MIN_READ = 4 * 1024;
const MAX_READ = 256 * 1024;

/**
 * A named, connected byte stream (TCP, TLS, Unix). A read pump moves incoming bytes into a
 * {@link ReceiveBuffer} where they wait, in order, until a `recv…` call takes them; above the
 * buffer's cap the pump stops reading and TCP flow control holds the peer back.
 */
export class StreamSocket extends NamedSocket {
  readonly buffer: ReceiveBuffer;
  readonly role: "client" | "accepted";
  #conn: StreamTransport;
  #local: string;
  #remote: string;
  #writeShut = false;
  #peerClosed = false;
  #closed = false;
  #writing: Promise<unknown> = Promise.resolve();
  #pumpDone: Promise<void>;

  constructor(
    name: string,
    kind: string,
    conn: StreamTransport,
    emit: EventSink,
    options: StreamSocketOptions = {},
  ) {
    super(name, kind, emit);
    this.#conn = conn;
    this.role = options.role ?? "client";
    this.buffer = new ReceiveBuffer({ cap: options.cap, initialSize: MIN_READ });
    this.#local = NamedSocket.addr(conn.localAddr);
    this.#remote = NamedSocket.addr(conn.remoteAddr);
    this.#pumpDone = this.#pump();
  }

  /** The underlying transport (for upgrades such as STARTTLS). */
  get conn(): StreamTransport {
    return this.#conn;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The display state: open, write-shut, peer-closed or closed. */
  get state(): SocketState {
    if (this.#closed) return "closed";
    if (this.#writeShut && this.#peerClosed) return "closed";
    if (this.#peerClosed) return "peer-closed";
    if (this.#writeShut) return "write-shut";
    return "open";
  }

  get local(): string {
    return this.#local;
  }

  get remote(): string {
    return this.#remote;
  }

  info(): SocketInfo {
    return {
      name: this.name,
      kind: this.kind,
      role: this.role,
      state: this.state,
      local: this.#local,
      remote: this.#remote,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      buffered: this.buffer.size,
      note: this.note,
    };
  }

  async #pump(): Promise<void> {
    let scratch = new Uint8Array(MIN_READ);
    try {
      while (true) {
        if (this.buffer.full) await this.buffer.waitForSpace();
        if (this.#closed) return;
        const n = await this.#conn.read(scratch);
        if (n === null) break;
        this.buffer.push(scratch.subarray(0, n));
        this.bytesIn += n;
        this.emit({ type: "data", name: this.name, bytes: n, buffered: this.buffer.size });
        if (n === scratch.length && scratch.length < MAX_READ) {
          scratch = new Uint8Array(scratch.length * 4);
        }
      }
      this.#peerClosed = true;
      this.buffer.end();
      if (!this.#closed) {
        this.emit({ type: "peer-closed", name: this.name, buffered: this.buffer.size });
      }
    } catch (error) {
      if (this.#closed) return;
      const message = error instanceof Error ? error.message : String(error);
      this.#peerClosed = true;
      this.buffer.fail(error instanceof Error ? error : new Error(message));
      this.emit({ type: "error", name: this.name, message });
    }
  }

  #checkWritable(action: string): void {
    if (this.#closed) throw new SockitError(`Cannot ${action} "${this.name}": socket is closed`);
    if (this.#writeShut) {
      throw new SockitError(`Cannot ${action} "${this.name}": our side is shut down for writing`);
    }
  }

  /** Writes every byte of `data`, after any write already under way. */
  write(data: Uint8Array): Promise<number> {
    this.#checkWritable("send to");
    return this.#serial(() => this.#writeAll(data));
  }

  /**
   * Streams chunks from `source` in order, holding the write lock for the whole transfer so
   * that nothing interleaves. `source` may reuse one buffer between chunks.
   */
  writeFrom(source: AsyncIterable<Uint8Array>): Promise<number> {
    this.#checkWritable("send to");
    return this.#serial(async () => {
      let total = 0;
      for await (const chunk of source) total += await this.#writeAll(chunk);
      return total;
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#writing.then(fn, fn);
    this.#writing = run.catch(() => {});
    return run;
  }

  async #writeAll(data: Uint8Array): Promise<number> {
    let off = 0;
    try {
      while (off < data.length) {
        off += await this.#conn.write(data.subarray(off));
      }
    } catch (error) {
      this.bytesOut += off;
      const message = error instanceof Deno.errors.BrokenPipe
        ? "peer closed the connection (broken pipe)"
        : error instanceof Deno.errors.ConnectionReset
        ? "connection reset by peer"
        : error instanceof Error
        ? error.message
        : String(error);
      throw new SockitError(`Cannot send to "${this.name}": ${message} after ${off} bytes`, {
        cause: error,
      });
    }
    this.bytesOut += off;
    return off;
  }

  /** Half-closes our side: the peer sees end of stream, and can still send to us. */
  async shutdown(): Promise<void> {
    this.#checkWritable("shut down");
    await this.#writing;
    this.#writeShut = true;
    try {
      await this.#conn.closeWrite();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new SockitError(`Cannot shut down "${this.name}": ${message}`, { cause: error });
    }
  }

  /** Reads as the receive buffer does, naming this socket in errors. */
  recv(max: number, opts?: ReadOptions): Promise<ReadResult> {
    return this.buffer.recv(max, opts);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer or the runtime
    }
    this.buffer.end();
    await this.#pumpDone;
    this.emit({ type: "closed", name: this.name });
  }
}
