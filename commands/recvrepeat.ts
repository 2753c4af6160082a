import { concatBytes } from "../grammar/bytes.ts";
import { parseDuration } from "../grammar/duration.ts";
import type { ReadOptions } from "../sockets/receive_buffer.ts";
import { StreamSocket } from "../sockets/stream_socket.ts";
import type { Args } from "./types.ts";
import { readingCommand, type ReceivingSocket } from "./reading.ts";
import { pump } from "./_stream.ts";
import { wrongKind } from "./_sockets.ts";

/** The quiet time D of `recvrepeat NAME D`. */
function quietOf(args: Args): number {
  return parseDuration(args.positional[1].text, "recvrepeat D");
}

/** recvrepeat waits as long as bytes keep coming: only an explicit --timeout caps it. */
function capped(args: Args, opts: ReadOptions): ReadOptions {
  return args.options.timeout === undefined ? { ...opts, timeout: undefined } : opts;
}

function stream(socket: ReceivingSocket): StreamSocket {
  if (socket instanceof StreamSocket) return socket;
  throw wrongKind(socket, "recvrepeat from", "stream");
}

/**
 * `recvrepeat NAME D`: everything that arrives until the socket is quiet for D (or the peer
 * closes), like pwntools' recvrepeat. Ctrl-C ends it early with what arrived so far.
 */
export const recvrepeat = readingCommand({
  name: "recvrepeat",
  usage: "recvrepeat NAME D",
  summary: "receive until no byte arrives for D (a duration: 200ms, 1s) or the peer closes",
  details: "Quiet for D is the normal end, not an error; --timeout caps the whole read.\n" +
    "Ctrl-C ends it early with what arrived so far. With --to FILE the bytes are written\n" +
    "as they arrive.\nExamples:\n  recvrepeat a 200ms\n  recvrepeat a 1s --to banner.bin",
  args: ["socket", "none"],
  minArgs: 2,
  maxArgs: 2,
  script: { reads: "stream" },
  action: "recvrepeat from",
  reader(args) {
    const quiet = quietOf(args);
    return async (socket, opts) => {
      const chunks: Uint8Array[] = [];
      const sink = (chunk: Uint8Array) => Promise.resolve(void chunks.push(chunk));
      const done = await pump(stream(socket).buffer, sink, { quiet }, capped(args, opts));
      const data = concatBytes(chunks);
      // Bytes taken before a cancel are shown, never dropped: cancelling ends the wait early.
      if (done.status === "ok" || done.status === "cancelled") return { status: "ok", data };
      if (chunks.length === 0) return { status: done.status, data, error: done.error };
      return { status: "ok", data };
    };
  },
  stream(args) {
    const quiet = quietOf(args);
    return (socket, opts, sink) =>
      pump(stream(socket).buffer, sink, { quiet }, capped(args, opts)).then((done) =>
        done.status === "cancelled" ? { ...done, status: "ok" } : done
      );
  },
});
