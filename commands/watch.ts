import { showValue } from "../grammar/show_value.ts";
import { plural } from "../grammar/plural.ts";
import { render } from "../grammar/render.ts";
import { SockitError } from "../grammar/errors.ts";
import { Listener } from "../sockets/listener.ts";
import { ServerSocket } from "../protocols/server_socket.ts";
import type { NamedSocket } from "../sockets/named_socket.ts";
import { type ReceivingSocket, receivingSocket } from "./_sockets.ts";
import { needTerminal, readChunks } from "./_terminal.ts";
import type { Command } from "./types.ts";

/** `12:03:04.567`: local time of day to the millisecond. */
function timeOfDay(date: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.` +
    String(date.getMilliseconds()).padStart(3, "0");
}

/** Whether a socket a glob matched is one `watch` reads: open, and not a listener or server. */
function readable(socket: NamedSocket): socket is ReceivingSocket {
  return !socket.closed && !(socket instanceof Listener) && !(socket instanceof ServerSocket) &&
    "buffer" in socket;
}

/**
 * `watch NAME… [--hex] [--timestamps]`: shows what arrives on sockets as it arrives, each chunk
 * labelled with its socket, until Ctrl-C.
 */
export const watch: Command = {
  name: "watch",
  usage: "watch NAME…",
  summary: "show what arrives on sockets (globs too) as it arrives, labelled, until Ctrl-C",
  details: 'Every chunk is shown as recv shows it, after its socket\'s name: [a] "hello\\n".\n' +
    "It consumes what it shows (a later recv gets only what came after), bytes already\n" +
    "buffered first, and reads nothing else. A glob (srv.*) also takes in the connections\n" +
    "and UDP peers that arrive while it watches. Ctrl-C returns to the prompt; so does every\n" +
    "socket (named without a glob) closing. It needs the interactive shell; a recording\n" +
    "leaves it out.",
  options: [
    { name: "hex", type: "flag", summary: "--hex  show every chunk as a hexdump" },
    {
      name: "timestamps",
      type: "flag",
      summary: "--timestamps  put the local time (12:03:04.567) before every chunk",
    },
  ],
  args: ["socket"],
  minArgs: 1,
  script: { unrecorded: true },
  async run(ctx, args) {
    const patterns = args.positional.map((t) => t.text);
    const terminal = needTerminal(
      ctx,
      "watch",
      `watch ${patterns.map((p) => showValue(p)).join(" ")}`,
    );
    const globs = patterns.filter((p) => p.includes("*"));
    const watched = new Map<string, ReceivingSocket>();
    for (const pattern of patterns) {
      if (!pattern.includes("*")) {
        await ctx.registry.arrival(pattern, { timeout: ctx.settings.timeout, signal: ctx.signal });
        const socket = receivingSocket(ctx, pattern, "watch");
        watched.set(socket.name, socket);
        continue;
      }
      const found = ctx.registry.match(pattern, "watch").filter(readable);
      if (found.length === 0 && globs.length === patterns.length) {
        throw new SockitError(
          `Cannot watch ${showValue(pattern)}: no open socket it matches receives`,
          {
            code: "not-found",
            hint: "a listener's connections are NAME.1, NAME.2, …",
          },
        );
      }
      for (const socket of found) watched.set(socket.name, socket);
    }
    const hex = args.options.hex === true;
    const stamped = args.options.timestamps === true;
    const width = Math.max(...[...watched.keys()].map((n) => n.length));
    let chunks = 0;
    let bytes = 0;
    const show = (name: string, data: Uint8Array) => {
      chunks++;
      bytes += data.length;
      const label = `${stamped ? timeOfDay(new Date()) + " " : ""}[${name}]`.padEnd(
        (stamped ? 13 : 0) + width + 2,
      );
      const body = render(data, hex ? "hex" : ctx.settings.display);
      const indent = " ".repeat(label.length + 1);
      terminal.write(`${label} ${body.split("\n").join("\n" + indent)}\n`);
    };
    const loops = new Set<Promise<unknown>>();
    const start = (socket: ReceivingSocket) => {
      const loop = readChunks(socket, ctx.signal, "watch", (data) => show(socket.name, data))
        .catch((error) => terminal.write(`[${socket.name}] ${error.message}\n`))
        .finally(() => {
          loops.delete(loop);
          if (loops.size === 0 && globs.length === 0) allEnded();
        });
      loops.add(loop);
    };
    let allEnded!: () => void;
    const ended = new Promise<void>((resolve) => (allEnded = resolve));
    // A glob takes in the children that arrive while it watches.
    const unsubscribe = ctx.registry.subscribe((event) => {
      if (event.type !== "accepted") return;
      for (const glob of globs) {
        for (const socket of ctx.registry.match(glob, "watch")) {
          if (watched.has(socket.name) || !readable(socket)) continue;
          watched.set(socket.name, socket);
          start(socket);
        }
      }
    });
    const cancelled = new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    try {
      for (const socket of watched.values()) start(socket);
      await Promise.race([ended, cancelled]);
      await Promise.all(loops);
    } finally {
      unsubscribe();
    }
    const names = [...watched.keys()];
    const list = names.length > 8
      ? `${names.slice(0, 8).join(", ")} and ${names.length - 8} more`
      : names.join(", ");
    return {
      kind: "message",
      text: `watched ${list}: ${plural(chunks, "chunk")}, ${plural(bytes, "byte")}`,
    };
  },
};
