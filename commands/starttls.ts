import { errorCode } from "../grammar/errors.ts";
import { parsePayload, payloadBytes } from "../grammar/payload.ts";
import type { Command } from "./types.ts";
import { streamSocket, TIMEOUT_OPTION } from "./_sockets.ts";
import { TLS_CLIENT_OPTIONS, TLS_SERVER_OPTIONS } from "./_tls_options.ts";

async function writeAll(conn: { write(p: Uint8Array): Promise<number> }, data: Uint8Array) {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** `starttls NAME [PAYLOAD…]`: upgrades an open plain socket to TLS in place. */
export const starttls: Command = {
  name: "starttls",
  usage: "starttls NAME [PAYLOAD…]",
  summary: "upgrade an open tcp socket to TLS in place (client if we dialled, server if accepted)",
  details: "The name and any bytes already buffered stay. A socket we opened becomes the TLS\n" +
    "client and verifies the peer's address (or --servername); an accepted socket becomes the\n" +
    "TLS server and needs --cert and --key. A PAYLOAD is sent as the last plain text after the\n" +
    "switch is armed, so a peer that starts its handshake at once cannot race it.\n" +
    "Examples (SMTP):\n  sendline a --crlf STARTTLS; recvline a; starttls a --ca ca.pem\n" +
    '  starttls srv.1 --cert leaf.pem --key leaf.key "220 ready\\r\\n"\n' +
    "Both ends in one shell: the first upgrade cannot finish before the other starts, so give\n" +
    "it --background (it returns once the upgrade is under way; a failure is an error event):\n" +
    "  starttls srv.1 --cert leaf.pem --key leaf.key --background; starttls a --ca ca.pem",
  options: [
    TIMEOUT_OPTION,
    ...TLS_CLIENT_OPTIONS,
    ...TLS_SERVER_OPTIONS,
    {
      name: "background",
      type: "flag",
      summary: "--background  return once the upgrade is under way (for both ends in one shell)",
    },
  ],
  args: ["socket", "payload"],
  minArgs: 1,
  script: { paths: ["cert", "key", "ca"] },
  async run(ctx, args) {
    const [target, ...payload] = args.positional;
    const socket = streamSocket(ctx, target.text, "starttls");
    const last = payload.length ? await payloadBytes(parsePayload(payload)) : undefined;
    // node:tls loads on first use, to keep shell start-up fast.
    const { startTls } = await import("../sockets/tls_sockets.ts");
    const background = args.options.background === true;
    const upgrading = startTls(socket, {
      ...args.options,
      timeout: (args.options.timeout as number | undefined) ?? ctx.settings.timeout,
      // A background upgrade outlives this command: only its own deadline ends it.
      signal: background ? undefined : ctx.signal,
      before: last
        ? () => writeAll(socket.conn, last).then(() => socket.bytesOut += last.length)
        : undefined,
    });
    if (background) {
      upgrading.catch((error) =>
        ctx.registry.emit({
          type: "error",
          name: socket.name,
          message: (error as Error).message,
          code: errorCode(error),
        })
      );
      return {
        kind: "message",
        text: `upgrading ${socket.name} to TLS in the background (ls shows it when done)`,
      };
    }
    await upgrading;
    return { kind: "socket", info: socket.info(), verb: "upgraded" };
  },
};
