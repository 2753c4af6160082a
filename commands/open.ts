import { SockitError } from "../grammar/errors.ts";
import { showValue } from "../grammar/show_value.ts";
import { dialers, transport } from "../sockets/transports.ts";
import type { DialOptions } from "../sockets/tcp.ts";
import { parseKeepalive, parseOnOff } from "../sockets/socket_options.ts";
import type { Args, Command, OptionSpec } from "./types.ts";
import { TIMEOUT_OPTION } from "./_sockets.ts";
import { TLS_CLIENT_OPTIONS, TLS_SERVER_OPTIONS } from "./_tls_options.ts";

/**
 * How to dial a stream (`open tcp|tls`, and `sockit connect`): proxy, source address, socket
 * options and retries. {@link dialOptions} turns their values into {@link DialOptions}.
 */
export const DIAL_OPTIONS: OptionSpec[] = [
  {
    name: "proxy",
    type: "string",
    summary: "--proxy URL  tcp/tls: through socks5://[USER:PASS@]H:P, socks5h:// (the proxy " +
      "resolves the name) or http://[USER:PASS@]H:P (CONNECT)",
  },
  {
    name: "bind",
    type: "string",
    summary: "--bind ADDR[:PORT]  connect from this source address (and port)",
  },
  {
    name: "nodelay",
    type: "string",
    summary: "--nodelay on|off  tcp/tls: TCP_NODELAY (default on: small writes go out at once)",
  },
  {
    name: "keepalive",
    type: "string",
    summary: "--keepalive D|off  tcp/tls: TCP keepalive, first probe after D idle (default off)",
  },
  {
    name: "retry",
    type: "integer",
    summary: "--retry N  tcp/tls: try N more times while refused or unreachable",
  },
  {
    name: "retry-delay",
    type: "duration",
    summary: "--retry-delay D  pause between tries (default 200ms)",
  },
  {
    name: "wait",
    type: "duration",
    summary: "--wait D  tcp/tls: keep trying until the port accepts, up to D (none: until Ctrl-C)",
  },
];

/** Which kinds take which dial option (the others refuse it in one line). */
const DIAL_KINDS: Record<string, string[]> = {
  proxy: ["tcp", "tls"],
  bind: ["tcp", "tls", "udp"],
  nodelay: ["tcp", "tls"],
  keepalive: ["tcp", "tls"],
  retry: ["tcp", "tls"],
  "retry-delay": ["tcp", "tls"],
  wait: ["tcp", "tls"],
};

/**
 * The {@link DialOptions} of parsed `--proxy … --wait` values for `kind`, failing in one line
 * on a value or an option the kind cannot take. `action` names what dials: `open "a"`.
 *
 * @example Options as `open tcp` takes them
 * ```ts
 * import assert from "node:assert/strict";
 * import { dialOptions } from "./open.ts";
 * const o = dialOptions({ nodelay: "off", keepalive: "30s", retry: 3 }, "tcp", 'open "a"');
 * assert.deepEqual(o, { nodelay: false, keepalive: 30000, retry: 3 });
 * assert.throws(() => dialOptions({ proxy: "socks5://h:1" }, "udp", 'open "u"'), /tcp and tls/);
 * ```
 */
export function dialOptions(values: Args["options"], kind: string, action: string): DialOptions {
  for (const [name, kinds] of Object.entries(DIAL_KINDS)) {
    if (values[name] !== undefined && !kinds.includes(kind)) {
      throw new SockitError(
        `Cannot ${action}: --${name} is for ${
          kinds.join(" and ").replace(/ and (?=.* and)/, ", ")
        }` +
          ` sockets, not ${kind}`,
        { code: "usage" },
      );
    }
  }
  const out: DialOptions = {};
  if (values.proxy !== undefined) out.proxy = String(values.proxy);
  if (values.bind !== undefined) out.bind = String(values.bind);
  if (values.nodelay !== undefined) {
    out.nodelay = parseOnOff(String(values.nodelay), "--nodelay", action);
  }
  if (values.keepalive !== undefined) {
    out.keepalive = parseKeepalive(String(values.keepalive), action);
  }
  if (values.retry !== undefined) out.retry = values.retry as number;
  const delay = values["retry-delay"] as number | undefined;
  if (delay !== undefined) {
    if (delay === Infinity) {
      throw new SockitError(
        `Cannot ${action}: --retry-delay ${showValue("none")}: give a duration`,
        { code: "usage" },
      );
    }
    out.retryDelay = delay;
  }
  if (values.wait !== undefined) out.wait = values.wait as number;
  return out;
}

const DIAL_NAMES = new Set(DIAL_OPTIONS.map((o) => o.name));

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
    "  open tls g localhost:8443 --ca ca.pem --cert client.pem --key client.key   (mutual TLS)\n" +
    "  open tcp h example.com:80 --proxy socks5h://user:pass@127.0.0.1:1080\n" +
    "  open tcp i 127.0.0.1:8080 --proxy http://127.0.0.1:3128   (HTTP CONNECT)\n" +
    "  open tcp j 127.0.0.1:9000 --bind 127.0.0.1:40000 --nodelay off --keepalive 30s\n" +
    "  open tcp k 127.0.0.1:9000 --wait 10s       (a server that is still starting)\n" +
    "  open tcp l 127.0.0.1:9000 --retry 5 --retry-delay 1s\n" +
    "Retries happen only while the connection is refused or unreachable; Ctrl-C ends the wait.\n" +
    "TCP_NODELAY is on by default: a shell sends small writes and waits for the answer, and\n" +
    "with Nagle on, a second small write waits for the peer's delayed ACK (up to 40 ms).\n" +
    "  open ws m ws://127.0.0.1:8080/chat --subprotocol chat  (one recv is one message)\n" +
    "  open wss n wss://localhost:8443/ --ca ca.pem --header Authorization:Bearer-x",
  options: [
    TIMEOUT_OPTION,
    ...DIAL_OPTIONS,
    ...TLS_CLIENT_OPTIONS,
    ...TLS_SERVER_OPTIONS,
    ...WS_OPTIONS,
  ],
  args: ["kind", "none", "none"],
  minArgs: 1,
  maxArgs: 3,
  script: { defines: 1, transport: 0, paths: ["ca", "cert", "key"] },
  async run(ctx, args) {
    const [kind, name, address] = args.positional.map((t) => t.text);
    const action = name === undefined ? "open" : `open "${name}"`;
    const dial = transport(dialers, kind, action);
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
    const rest = Object.fromEntries(
      Object.entries(args.options).filter(([k]) => !DIAL_NAMES.has(k)),
    );
    if (kind !== "tls" && kind !== "wss") {
      const tlsOnly = ["ca", "servername", "alpn", "insecure", "cert", "key"].find((k) =>
        rest[k] !== undefined
      );
      if (tlsOnly) {
        throw new SockitError(
          `Cannot ${action}: --${tlsOnly} is for tls and wss sockets, not ${kind}`,
          {
            code: "usage",
          },
        );
      }
    }
    const socket = await dial(ctx.registry, name, address, {
      ...rest,
      ...dialOptions(args.options, kind, action),
      timeout: (args.options.timeout as number | undefined) ?? ctx.settings.timeout,
      signal: ctx.signal,
    });
    return { kind: "socket", info: socket.info(), verb: "open" };
  },
};
