import { ServerSocket } from "../protocols/server_socket.ts";
import type { NamedSocket, SocketInfo } from "../sockets/named_socket.ts";
import { plural } from "../grammar/plural.ts";
import { MAX_FINISHED_ROWS } from "../sockets/registry.ts";
import type { Command } from "./types.ts";

/** The cells every socket table starts with: name, kind, state, local, remote, in, out. */
export function socketCells(i: SocketInfo): string[] {
  return [i.name, i.kind, i.state, i.local, i.remote, String(i.bytesIn), String(i.bytesOut)];
}

/** The `buffered` cell: unread bytes, connections not yet accepted, or `-` when there are none. */
function bufferedCell(s: NamedSocket, i: SocketInfo): string {
  // A built-in server hands out no connections (its note counts them); a closed socket holds
  // nothing any more, whatever its buffer held when it closed.
  if (s instanceof ServerSocket || s.closed) return "-";
  return i.role === "listener" ? `${i.buffered} waiting` : String(i.buffered);
}

/**
 * Lets reads that have already completed in the kernel (a peer's close, bytes in flight on
 * loopback) reach their sockets before the states are read, so `close s.*; ls` shows the other
 * end as peer-closed rather than a state from before the close. One turn of the event loop:
 * nothing here waits for the network.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** `ls`: one row per socket. */
export const ls: Command = {
  name: "ls",
  usage: "ls [NAME…] [--closed]",
  summary: "list sockets: kind, state, addresses, bytes in/out, bytes buffered",
  details: "Sockets closed with close or quit are left out unless named or --closed is given.\n" +
    "On a terminal, byte counts show as 1.2 KiB and the note column is cut to fit the width;\n" +
    "batch mode and scripts get exact counts and whole notes.\n" +
    `Finished rows (closed, or a listener's child whose peer closed with nothing left to\n` +
    `read) are kept for the latest ${MAX_FINISHED_ROWS}; older ones are forgotten.`,
  options: [{ name: "closed", type: "flag", summary: "--closed  list closed sockets too" }],
  args: ["socket"],
  async run(ctx, args) {
    await settle();
    const named = args.positional.flatMap((t) => ctx.registry.match(t.text, "list"));
    const all = ctx.registry.all();
    const sockets = named.length > 0
      ? named
      : args.options.closed
      ? all
      : all.filter((s) => !s.closed);
    const hidden = named.length > 0 ? 0 : all.length - sockets.length;
    const rows = sockets.map((s) => {
      const i = s.info();
      return [...socketCells(i), bufferedCell(s, i), i.note ?? ""];
    });
    return {
      kind: "table",
      columns: ["name", "kind", "state", "local", "remote", "in", "out", "buffered", ""],
      rows,
      counts: [5, 6, 7],
      fit: 8,
      ...(hidden ? { note: `${plural(hidden, "closed socket")} not shown (ls --closed)` } : {}),
    };
  },
};
