import { StreamSocket } from "../sockets/stream_socket.ts";
import { readingCommand, type ReceivingSocket } from "./reading.ts";
import { pump } from "./_stream.ts";
import { wrongKind } from "./_sockets.ts";

/** The stream a stream-only read needs, or the error that says what the socket is. */
function stream(socket: ReceivingSocket, action: string): StreamSocket {
  if (socket instanceof StreamSocket) return socket;
  throw wrongKind(socket, action, "stream");
}

/**
 * `recvall NAME`: everything until the peer closes. The bytes stay buffered until then, so a
 * timeout loses nothing; with `--to FILE` they go to the file as they arrive (bounded memory).
 */
export const recvall = readingCommand({
  name: "recvall",
  usage: "recvall NAME",
  summary: "receive everything until the peer closes (end of stream)",
  details: "Waits for end of stream, then returns every byte (at most 1 GiB on the screen).\n" +
    "With --to FILE the bytes are written as they arrive, whatever the size.\n" +
    "Examples:\n  recvall a\n  recvall a --to page.html --timeout 1m",
  args: ["socket"],
  minArgs: 1,
  maxArgs: 1,
  script: { reads: "stream" },
  action: "recvall from",
  reader: () => (socket, opts) => stream(socket, "recvall from").buffer.recvAll(opts),
  stream: () => (socket, opts, sink) =>
    pump(stream(socket, "recvall from").buffer, sink, { eof: true }, opts),
});
