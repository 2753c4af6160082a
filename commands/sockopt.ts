import { SockitError } from "../grammar/errors.ts";
import { showValue } from "../grammar/show_value.ts";
import { optionsOf } from "../sockets/socket_options.ts";
import type { Command } from "./types.ts";
import { streamSocket } from "./_sockets.ts";

/** `sockopt NAME [OPTION VALUE]`: shows or changes a socket's TCP options. */
export const sockopt: Command = {
  name: "sockopt",
  usage: "sockopt NAME [OPTION [VALUE]]",
  summary: "show or change a tcp/tls socket's options: nodelay on|off, keepalive D|on|off",
  details: "Shows what sockit set (neither Deno nor node:net reads the options back): nodelay\n" +
    "is on by default for every socket sockit dials or accepts, keepalive off. keepalive D\n" +
    "sets the idle time before the first probe only on a socket opened with --bind or\n" +
    "--keepalive (a node:net connection); on another, keepalive on uses the system's idle time.\n" +
    "Examples:\n  sockopt a\n  sockopt a keepalive\n  sockopt a nodelay off\n  sockopt a keepalive on\n" +
    "  sockopt b keepalive 30s     (b opened with --keepalive or --bind)",
  args: ["socket", "none", "none"],
  minArgs: 1,
  maxArgs: 3,
  script: { socket: 0 },
  run(ctx, args) {
    const [name, option, value] = args.positional.map((t) => t.text);
    const action = `sockopt "${name}"`;
    const socket = streamSocket(ctx, name, "sockopt");
    const options = optionsOf(socket);
    if (!options) {
      throw new SockitError(
        `Cannot ${action}: it is a ${socket.kind} socket; sockopt is for tcp and tls connections`,
        { code: "wrong-kind" },
      );
    }
    if (value !== undefined) options.set(option, value, action);
    const rows = options.rows().filter(([o]) => option === undefined || o === option);
    if (rows.length === 0) {
      throw new SockitError(`Cannot ${action}: unknown option ${showValue(option)}`, {
        code: "usage",
        hint: "options: nodelay, keepalive, proxy",
      });
    }
    return Promise.resolve({ kind: "table", columns: ["option", "value"], rows });
  },
};
