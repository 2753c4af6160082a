import { SockitError } from "../grammar/errors.ts";
import { BIND_OPTIONS } from "./_bind_options.ts";
import { binders, transport } from "../sockets/transports.ts";
import type { Command } from "./types.ts";
import { TLS_SERVER_OPTIONS, TLS_VERIFY_CLIENT_OPTIONS } from "./_tls_options.ts";

/** `listen KIND NAME ADDR`: listens; accepted peers become NAME.1, NAME.2, … */
export const listen: Command = {
  name: "listen",
  usage: "listen KIND NAME ADDR|PATH",
  summary: "listen on an address; accepted peers become NAME.1, NAME.2, …",
  details: "A bare :PORT binds 127.0.0.1 (never every interface by accident); port 0 picks a\n" +
    "free port and the chosen address is shown.\n" +
    "Children are numbered from 1 in arrival order; a number whose name an open socket still\n" +
    "holds (a child of an earlier listener of that name) is skipped: s.2 if s.1 is still open.\n" +
    "A TLS child shakes hands in the background; one that fails or stalls past\n" +
    "--handshake-timeout (default 10s) is closed and its reads and writes fail with the reason.\n" +
    "Examples:\n  listen tcp srv :9000\n" +
    "  listen tcp srv 127.0.0.1:0\n  listen tcp six [::1]:0\n" +
    "  listen udp u :0              (each sender becomes u.1, u.2, …)\n" +
    "  listen udp u :0 --max-peers 16  (at most 16 children; the least recently heard from\n" +
    "                               is evicted, its unread datagrams stay readable on u)\n" +
    "  listen unix x /tmp/x.sock\n  listen tls s :0 --cert leaf.pem --key leaf.key\n" +
    "  listen tls m :0 --cert leaf.pem --key leaf.key --ca ca.pem --require-cert   (mutual TLS)\n" +
    "  listen tcp r :9000 --reuseport      (a second listen … --reuseport shares port 9000)\n" +
    "  listen ws w :0 --path /chat  (each client becomes w.1, …; one recv is one message)\n" +
    "  listen wss w2 :0 --cert leaf.pem --key leaf.key",
  options: [
    ...TLS_SERVER_OPTIONS,
    ...TLS_VERIFY_CLIENT_OPTIONS,
    {
      name: "reuseport",
      type: "flag",
      summary: "--reuseport  tcp/tls: SO_REUSEPORT: several listeners share the port (Linux)",
    },
    {
      name: "alpn",
      type: "string",
      repeat: true,
      summary: "--alpn PROTO  tls: accept this ALPN protocol (repeatable)",
    },
    ...BIND_OPTIONS,
    {
      name: "multicast",
      type: "string",
      repeat: true,
      summary: "--multicast GROUP  udp: join this multicast group (repeatable)",
    },
    {
      name: "interface",
      type: "string",
      summary: "--interface ADDR  udp: the interface to join multicast groups on",
    },
    {
      name: "max-peers",
      type: "integer",
      summary: "--max-peers N  udp: keep at most N peers (default 1024); the least recently " +
        "heard from is evicted",
    },
    {
      name: "path",
      type: "string",
      summary: "--path P  ws: accept upgrades for this path only (others get HTTP 404)",
    },
  ],
  args: ["kind", "none", "none"],
  minArgs: 3,
  maxArgs: 3,
  script: { defines: 1, transport: 0, binds: true, children: true, paths: ["cert", "key", "ca"] },
  async run(ctx, args) {
    const [kind, name, address] = args.positional.map((t) => t.text);
    const bind = transport(binders, kind, `listen "${name}"`);
    const {
      "handshake-timeout": handshakeTimeout,
      "require-cert": requireCert,
      "request-cert": requestCert,
      reuseport: reusePort,
      ...options
    } = args.options;
    const tlsOnly = (["ca", "require-cert", "request-cert"] as const).find((k) =>
      args.options[k] !== undefined
    );
    if (tlsOnly && kind !== "tls") {
      throw new SockitError(`Cannot listen "${name}": --${tlsOnly} is for tls, not ${kind}`, {
        code: "usage",
      });
    }
    if (reusePort && kind !== "tcp" && kind !== "tls") {
      throw new SockitError(
        `Cannot listen "${name}": --reuseport is for tcp and tls, not ${kind}`,
        {
          code: "usage",
        },
      );
    }
    const socket = await bind(ctx.registry, name, address, {
      ...options,
      handshakeTimeout,
      requireCert,
      requestCert,
      reusePort,
    });
    return { kind: "socket", info: socket.info(), verb: "listening" };
  },
};
