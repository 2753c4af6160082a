import { ServerSocket } from "../protocols/server_socket.ts";
import type { SocketInfo } from "../sockets/named_socket.ts";
import { MAX_FINISHED_ROWS } from "../sockets/registry.ts";
import type { Command } from "./types.ts";

/** The cells every socket table starts with: name, kind, state, local, remote, in, out. */
export function socketCells(i: SocketInfo): string[] {
  return [i.name, i.kind, i.state, i.local, i.remote, String(i.bytesIn), String(i.bytesOut)];
}

/** `ls`: one row per socket. */
export const ls: Command = {
  name: "ls",
  usage: "ls [NAME…]",
  summary: "list sockets: kind, state, addresses, bytes in/out, bytes buffered",
  details: `Finished rows (closed, or a listener's child whose peer closed with nothing left to\n` +
    `read) are kept for the latest ${MAX_FINISHED_ROWS}; older ones are forgotten.`,
  args: ["socket"],
  run(ctx, args) {
    const wanted = args.positional.flatMap((t) => ctx.registry.match(t.text, "list"));
    const sockets = wanted.length > 0 ? wanted : ctx.registry.all();
    const rows = sockets.map((s) => {
      const i = s.info();
      return [
        ...socketCells(i),
        s instanceof ServerSocket
          ? "-" // a built-in server hands out no connections; its note counts them
          : i.role === "listener"
          ? `${i.buffered} waiting`
          : String(i.buffered),
        i.note ?? "",
      ];
    });
    return Promise.resolve({
      kind: "table",
      columns: ["name", "kind", "state", "local", "remote", "in", "out", "buffered", ""],
      rows,
    });
  },
};
