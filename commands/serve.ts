import { PROTOCOLS } from "../protocols/mod.ts";
import { BIND_OPTIONS } from "./_bind_options.ts";
import { ServerSocket } from "../protocols/server_socket.ts";
import type { Command } from "./types.ts";
import { SockitError } from "../grammar/errors.ts";

/** `serve PROTOCOL TRANSPORT NAME ADDR`: starts a built-in server as a named listener. */
export const serve: Command = {
  name: "serve",
  usage: "serve PROTOCOL TRANSPORT NAME ADDR [-- PROGRAM ARGS…]",
  summary:
    "start a built-in server (echo, ack, chat, discard, daytime, exec, broker) as a named listener",
  details:
    [...PROTOCOLS.values()].map((p) =>
      `  ${p.name.padEnd(8)} ${p.summary} (${p.transports.join(", ")})`
    ).join("\n") +
    "\nADDR is HOST:PORT (:PORT binds 127.0.0.1, port 0 picks a free port) or, for unix, a path.\n" +
    "ls shows the server with its connection counts; close NAME stops it and its connections.\n" +
    "Events name its connections NAME#1, NAME#2, … (they are served, not registered).\n" +
    "echo tcp runs on a native loop only with --allow-ffi (deno task shell-native); the row is\n" +
    "the same either way, and sockit serve logs which loop runs.\nExamples:\n" +
    "  serve echo tcp e :0\n  serve ack tcp a :0 --frame u16\n  serve chat tcp room :7000\n" +
    "  serve echo udp u :0\n  serve echo unix ue /tmp/echo.sock\n" +
    "  serve echo tls te :0 --cert cert.pem --key key.pem\n" +
    "  serve exec tcp up :0 -- tr a-z A-Z     (needs Deno's --allow-run)\n  serve broker tcp b :0",
  options: [
    {
      name: "frame",
      type: "string",
      summary: "--frame F  echo/ack per message: line, crlf, u16, u32, netstring",
    },
    { name: "cert", type: "string", summary: "--cert FILE  TLS certificate chain (PEM), for tls" },
    { name: "key", type: "string", summary: "--key FILE  TLS private key (PEM), for tls" },
    ...BIND_OPTIONS,
    {
      name: "max-queue",
      type: "integer",
      summary:
        "--max-queue BYTES  chat, broker: a client this far behind is dropped (default 1 MiB)",
    },
    {
      name: "crlf",
      type: "flag",
      summary: "--crlf  exec: send the program's \\n line endings as \\r\\n",
    },
    {
      name: "busy-poll",
      type: "integer",
      summary: "--busy-poll µS  echo tcp: keep polling this long after a message (default 50)",
    },
  ],
  args: ["none", "kind", "none", "none"],
  minArgs: 4,
  // exec: the program and its arguments follow `--`.
  script: { defines: 2, transport: 1, binds: true, paths: ["cert", "key"] },
  async run(ctx, args) {
    const [protocol, transport, name, address, ...program] = args.positional.map((t) => t.text);
    if (program.length > 0 && protocol !== "exec") {
      throw new SockitError(`serve: too many arguments for ${protocol}: "${program[0]}"`, {
        code: "usage",
        hint: "only serve exec takes a program, after --",
      });
    }
    ctx.registry.checkFreeName(name, "serve");
    const o = args.options;
    const socket = await ServerSocket.start(name, protocol, transport, address, {
      frame: o.frame as string | undefined,
      cert: o.cert as string | undefined,
      key: o.key as string | undefined,
      force: o.force === true,
      handshakeTimeout: o["handshake-timeout"] as number | undefined,
      maxQueue: o["max-queue"] as number | undefined,
      busyPoll: o["busy-poll"] as number | undefined,
      program,
      crlf: o.crlf === true,
    }, ctx.registry.emit);
    ctx.registry.add(socket);
    return { kind: "socket", info: socket.info(), verb: "listening" };
  },
};
