/**
 * websocat's default habit, for `sockit ws URL` (and `sockit connect ws://…`): lines from an
 * input stream become text messages, and each message received becomes a line on the output.
 * With `binary`, every input chunk is one binary message and messages are written raw. The end
 * of the input closes the WebSocket (code 1000); the peer's close ends the pipe.
 *
 * @module
 */

import { SocketRegistry } from "./registry.ts";
import type { TlsOptions } from "./tls.ts";
import { openWs } from "./ws_transport.ts";
import type { CloseInfo, WsSocket } from "./ws_socket.ts";

/** Settings of {@link wsPipe}; all optional but the streams. */
export interface WsPipeOptions extends TlsOptions {
  /** What to send: lines (text messages), or chunks with `binary`. */
  input: ReadableStream<Uint8Array>;
  /** Where received messages go. */
  output: WritableStream<Uint8Array>;
  /** Raw binary messages both ways instead of lines and text messages. */
  binary?: boolean;
  /** Extra request headers, `K:V` each. */
  header?: string[];
  /** Subprotocols to offer. */
  subprotocol?: string[];
  /** The connect and handshake deadline in ms (default 10 s). */
  timeout?: number;
  /** Ends the pipe (the WebSocket is closed with 1001, going away). */
  signal?: AbortSignal;
}

/** How a pipe ended: the close frames each side sent, if any. */
export interface WsPipeResult {
  /** The close frame the peer sent (1006 when the connection ended without one). */
  peer?: CloseInfo;
  /** The close frame we sent. */
  sent?: CloseInfo;
}

/**
 * Pipes `input` to the WebSocket at `url` and its messages to `output` until either side ends.
 * Rejects with a one-line SockitError when the connection or handshake fails.
 *
 * @example Lines to messages and back through a sockit echo of its own
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import { wsPipe } from "./ws_pipe.ts";
 * await using shell = new Shell();
 * const w = await shell.execute("listen ws w :0");
 * if (w.kind !== "socket") throw new Error("expected a socket");
 * const chunks: Uint8Array[] = [];
 * const input: { controller?: ReadableStreamDefaultController<Uint8Array> } = {};
 * const piping = wsPipe(`ws://${w.info.local}/`, {
 *   input: new ReadableStream({ start: (c) => void (input.controller = c) }),
 *   output: new WritableStream({ write: (c) => void chunks.push(c) }),
 * });
 * input.controller!.enqueue(new TextEncoder().encode("hello\n"));
 * const got = await shell.execute("recv w.1");
 * assert.equal(got.kind === "data" && new TextDecoder().decode(got.data), "hello");
 * await shell.execute("send w.1 back");
 * await shell.execute("close w.1");
 * const ended = await piping;
 * assert.equal(ended.peer?.code, 1000);
 * assert.equal(chunks.map((c) => new TextDecoder().decode(c)).join(""), "back\n");
 * ```
 */
export async function wsPipe(url: string, options: WsPipeOptions): Promise<WsPipeResult> {
  const registry = new SocketRegistry();
  const kind = url.startsWith("wss:") ? "wss" : "ws";
  const { input, output, binary, signal, timeout, ...dial } = options;
  const socket: WsSocket = await openWs(registry, kind, "ws", url, {
    ...dial,
    timeout: timeout ?? 10_000,
    signal,
  });
  const onAbort = () => socket.close({ code: 1001 }).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  const writer = output.getWriter();
  const newline = new Uint8Array([10]);
  const receiving = (async () => {
    while (true) {
      const read = await socket.buffer.recv(socket.maxMessage);
      if (read.status !== "ok") return;
      await writer.write(read.data);
      if (!binary) await writer.write(newline);
    }
  })();
  const reader = input.getReader();
  const sending = (async () => {
    let pending = new Uint8Array(0);
    try {
      while (true) {
        const { value, done } = await Promise.race([
          reader.read(),
          receiving.then(() => ({ value: undefined, done: true as const })),
        ]);
        if (done || socket.peerClose || socket.closed) break;
        if (binary) {
          await socket.write(value, { binary: true });
          continue;
        }
        const joined = new Uint8Array(pending.length + value.length);
        joined.set(pending);
        joined.set(value, pending.length);
        let start = 0;
        for (let i = 0; i < joined.length; i++) {
          if (joined[i] !== 10) continue;
          const end = i > start && joined[i - 1] === 13 ? i - 1 : i;
          await socket.write(joined.slice(start, end));
          start = i + 1;
        }
        pending = joined.slice(start);
      }
      if (!binary && pending.length && !socket.peerClose && !socket.closed) {
        await socket.write(pending);
      }
    } finally {
      reader.releaseLock();
    }
  })();
  try {
    await sending;
    await socket.close({ code: 1000 });
    await receiving;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await socket.close().catch(() => {});
    await writer.close().catch(() => {});
  }
  return { peer: socket.peerClose, sent: socket.sentClose };
}
