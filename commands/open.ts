import { SockitError } from "../grammar/errors.ts";
import { dialers, transport } from "../sockets/transports.ts";
import type { Command, OptionSpec } from "./types.ts";
import { TIMEOUT_OPTION } from "./_sockets.ts";
import { TLS_CLIENT_OPTIONS } from "./_tls_options.ts";

/** `open ws|wss` only: request headers and subprotocols. */
const WS_OPTIONS: OptionSpec[] = [
  {
    name: "header",
    type: "string",
    repeat: true,
    summary: "--header K:V  ws: send this request header (repeatable)",
  },
  {
    name: "subprotocol",
    type: "string",
    repeat: true,
    summary: "--subprotocol P  ws: offer this subprotocol (repeatable, in order of preference)",
  },
];

/** `open KIND NAME ADDR`: connects a named socket. */
export const open: Command = {
  name: "open",
  usage: "open KIND NAME HOST:PORT (unix: open unix NAME PATH; ws, wss: a URL)",
  summary:
    "connect a named socket (tcp, tls, udp, unix PATH, ws/wss URL; HOST: a name, IPv4 or [IPv6])",
  details: "Examples:\n  open tcp a 127.0.0.1:9000\n  open tcp b [::1]:9000 --timeout 2s\n" +
    "  open tcp c localhost:80\n  open udp d 127.0.0.1:5353       (a datagram socket with a default peer)\n" +
    "  open unix e /run/app.sock\n  open tls f localhost:443 --ca ca.pem --alpn h2\n" +
    "  open ws g ws://127.0.0.1:8080/chat --subprotocol chat  (one recv is one message)\n" +
    "  open wss h wss://localhost:8443/ --ca ca.pem --header Authorization:Bearer-x",
  options: [TIMEOUT_OPTION, ...TLS_CLIENT_OPTIONS, ...WS_OPTIONS],
  args: ["kind", "none", "none"],
  minArgs: 1,
  maxArgs: 3,
  script: { defines: 1, transport: 0, paths: ["ca"] },
  async run(ctx, args) {
    const [kind, name, address] = args.positional.map((t) => t.text);
    const dial = transport(dialers, kind, name === undefined ? "open" : `open "${name}"`);
    if (address === undefined) {
      const where = kind === "unix" ? "PATH" : "HOST:PORT";
      throw new SockitError(
        `open ${kind}: missing ${name === undefined ? "NAME and " : ""}${where}`,
        {
          code: "usage",
          hint: `usage: open ${kind} NAME ${where}`,
        },
      );
    }
    const socket = await dial(ctx.registry, name, address, {
      ...args.options,
      timeout: (args.options.timeout as number | undefined) ?? ctx.settings.timeout,
      signal: ctx.signal,
    });
    return { kind: "socket", info: socket.info(), verb: "open" };
  },
};
