/**
 * websocat's default habit as a byte stream, for `sockit connect ws://…` (and its alias
 * `sockit ws URL`): a WebSocket that reads and writes like a connection, so the pipes' one data
 * path (cli/_pipe.ts) carries it. Lines written become text messages (a `\r` before the `\n` is
 * dropped; a last line without `\n` goes out at the end), and each message read comes out as its
 * bytes and a `\n`. With `binary`, every write is one binary message and messages come out raw.
 * Closing the writing side is the close handshake (code 1000); the peer's close ends the stream.
 *
 * @module
 */

import { SocketRegistry } from "./registry.ts";
import { openWs, type WsDialOptions } from "./ws_transport.ts";
import type { CloseInfo, WsSocket } from "./ws_socket.ts";
import { describeClose } from "./ws_socket.ts";

/** Settings of {@link openWsPipe}: the dial's (TLS, headers, subprotocols, deadline), and the mode. */
export interface WsPipeOptions extends WsDialOptions {
  /** Raw binary messages both ways instead of lines and text messages. */
  binary?: boolean;
}

const NEWLINE = new Uint8Array([10]);

function netAddr(address: string): Deno.NetAddr {
  const at = address.lastIndexOf(":");
  return {
    transport: "tcp",
    hostname: address.slice(0, at).replace(/^\[(.*)\]$/, "$1"),
    port: Number(address.slice(at + 1)),
  };
}

/**
 * A WebSocket as a byte stream of lines (or raw messages): `read`, `write`, `closeWrite` and
 * `close` as a connection has them.
 *
 * @example Raw binary messages
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import { openWsPipe } from "./ws_pipe.ts";
 * await using shell = new Shell();
 * const w = await shell.execute("listen ws w :0");
 * if (w.kind !== "socket") throw new Error("expected a socket");
 * const conn = await openWsPipe(`ws://${w.info.local}/`, { binary: true });
 * await conn.write(new Uint8Array([0, 255, 10]));
 * const got = await shell.execute("recv w.1");
 * assert.deepEqual(got.kind === "data" && [Array.from(got.data), got.message], [[0, 255, 10], "binary"]);
 * await shell.execute("close w.1 --code 1008");
 * const buf = new Uint8Array(16);
 * assert.equal(await conn.read(buf), null);
 * assert.equal(conn.failure(), "the peer closed with 1008");
 * conn.close();
 * ```
 */
export class WsPipeConn {
  readonly #socket: WsSocket;
  readonly #binary: boolean;
  /** Received bytes not yet read (a message longer than the read's buffer, or its `\n`). */
  #rest: Uint8Array = new Uint8Array(0);
  /** Written bytes after the last `\n`: the start of the next line. */
  #line = new Uint8Array(0);
  /** Whether a read found the WebSocket ended. */
  #ended = false;
  /** Our address. */
  readonly localAddr: Deno.NetAddr;
  /** The server's address. */
  readonly remoteAddr: Deno.NetAddr;
  /** A message transport: the peer's close ends both directions. */
  readonly endsTogether = true;

  /** Wraps an open WebSocket; `binary` keeps messages raw. */
  constructor(socket: WsSocket, binary = false) {
    this.#socket = socket;
    this.#binary = binary;
    this.localAddr = netAddr(socket.local);
    this.remoteAddr = netAddr(socket.remote);
  }

  /** The close frame the peer sent, if any. */
  get peerClose(): CloseInfo | undefined {
    return this.#socket.peerClose;
  }

  /** The close frame we sent, if any. */
  get sentClose(): CloseInfo | undefined {
    return this.#socket.sentClose;
  }

  /** The next bytes of the next message (and its `\n`), or null once the WebSocket has ended. */
  async read(p: Uint8Array): Promise<number | null> {
    if (this.#rest.length === 0) {
      const got = await this.#socket.buffer.recv(this.#socket.maxMessage);
      if (got.status !== "ok") {
        this.#ended = true;
        return null;
      }
      if (this.#binary) this.#rest = got.data;
      else {
        this.#rest = new Uint8Array(got.data.length + 1);
        this.#rest.set(got.data);
        this.#rest.set(NEWLINE, got.data.length);
      }
    }
    const n = Math.min(p.length, this.#rest.length);
    p.set(this.#rest.subarray(0, n));
    this.#rest = this.#rest.subarray(n);
    return n;
  }

  /** Sends `p`: one binary message, or each complete line as a text message. */
  async write(p: Uint8Array): Promise<number> {
    if (this.#binary) return await this.#socket.write(p, { binary: true });
    const joined = new Uint8Array(this.#line.length + p.length);
    joined.set(this.#line);
    joined.set(p, this.#line.length);
    let start = 0;
    for (let i = 0; i < joined.length; i++) {
      if (joined[i] !== 10) continue;
      const end = i > start && joined[i - 1] === 13 ? i - 1 : i;
      await this.#socket.write(joined.slice(start, end));
      start = i + 1;
    }
    this.#line = joined.slice(start);
    return p.length;
  }

  /** Sends the last line if it had no `\n`, then the close handshake (code 1000). */
  async closeWrite(): Promise<void> {
    if (this.#line.length > 0 && !this.#socket.peerClose && !this.#socket.closed) {
      await this.#socket.write(this.#line);
    }
    this.#line = new Uint8Array(0);
    await this.#socket.close({ code: 1000 });
  }

  /**
   * Closes with 1001 "going away" (Ctrl-C or SIGTERM ended the program), waiting at most
   * `timeout` ms for the peer's answer.
   */
  async goAway(timeout = 1000): Promise<void> {
    if (this.#socket.sentClose || this.#socket.closed) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#socket.close({ code: 1001, reason: "going away" }).catch(() => {}),
      new Promise<void>((resolve) => timer = setTimeout(resolve, timeout)),
    ]);
    clearTimeout(timer);
  }

  /** Ends the WebSocket (a close handshake if none happened yet). */
  close(): void {
    this.#socket.close().catch(() => {});
  }

  /**
   * Why the WebSocket's end was a failure, once a read found it ended, as one line: the peer's
   * close code other than 1000 (normal) or 1005 (none given), or no close frame from either side
   * (1006); undefined otherwise.
   */
  failure(): string | undefined {
    if (!this.#ended) return undefined;
    const peer = this.#socket.peerClose;
    if (peer === undefined) {
      return this.#socket.sentClose ? undefined : "the connection ended without a close frame";
    }
    if (peer.code === 1000 || peer.code === 1005) return undefined;
    return `the peer closed with ${describeClose(peer)}`;
  }
}

/**
 * Opens the WebSocket at `url` as a {@link WsPipeConn}. Rejects with a one-line SockitError when
 * the connection or the handshake fails (`Cannot connect to "ws://…": …` with `verb` and
 * `label` as `sockit connect` gives them).
 *
 * @example Lines to messages and back through a sockit listener of its own
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import { openWsPipe } from "./ws_pipe.ts";
 * await using shell = new Shell();
 * const w = await shell.execute("listen ws w :0");
 * if (w.kind !== "socket") throw new Error("expected a socket");
 * const conn = await openWsPipe(`ws://${w.info.local}/`);
 * await conn.write(new TextEncoder().encode("hello\r\nwor"));
 * const got = await shell.execute("recv w.1");
 * assert.equal(got.kind === "data" && new TextDecoder().decode(got.data), "hello");
 * await shell.execute("send w.1 back");
 * const buf = new Uint8Array(16);
 * const n = await conn.read(buf);
 * assert.equal(new TextDecoder().decode(buf.subarray(0, n!)), "back\n");
 * await conn.write(new TextEncoder().encode("ld"));
 * const closing = conn.closeWrite(); // "world" goes out, then the close handshake
 * const last = await shell.execute("recv w.1");
 * assert.equal(last.kind === "data" && new TextDecoder().decode(last.data), "world");
 * await closing;
 * assert.equal(await conn.read(buf), null);
 * assert.equal(conn.failure(), undefined);
 * ```
 */
export async function openWsPipe(url: string, options: WsPipeOptions = {}): Promise<WsPipeConn> {
  const { binary, ...dial } = options;
  const kind = /^wss:/i.test(url) ? "wss" : "ws";
  const socket = await openWs(new SocketRegistry(), kind, "ws", url, {
    ...dial,
    timeout: dial.timeout ?? 10_000,
  });
  return new WsPipeConn(socket, binary);
}
