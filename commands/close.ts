import { plural } from "../grammar/plural.ts";
import { closeSocket } from "../sockets/listener.ts";
import type { NamedSocket } from "../sockets/named_socket.ts";
import type { SocketRegistry } from "../sockets/registry.ts";
import { SockitError } from "../grammar/errors.ts";
import { WsSocket } from "../sockets/ws_socket.ts";
import type { Command } from "./types.ts";

/** How long `close` waits for this shell's other end of a connection to see it. */
const LANDED_MS = 1000;

/**
 * The open stream sockets of this shell that are the other end of `socket`'s connection (its
 * local address is their remote one and the reverse): `close s.1` when `a` dialled it.
 */
function localPeers(registry: SocketRegistry, socket: NamedSocket): NamedSocket[] {
  const { local, remote, kind } = socket.info();
  if (kind !== "tcp" && kind !== "tls") return [];
  return registry.all().filter((s) => {
    const i = s.info();
    return s !== socket && !s.closed && i.local === remote && i.remote === local;
  });
}

/**
 * Resolves once each of `sockets` has seen its peer close (or closed, or failed), or after
 * `ms`: so `close s.1; ls` shows `a` as peer-closed, not the state from before the close.
 */
function landed(registry: SocketRegistry, sockets: NamedSocket[], ms: number): Promise<void> {
  const waiting = new Set(
    sockets.filter((s) => !s.closed && s.info().state !== "peer-closed").map((s) => s.name),
  );
  if (waiting.size === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unsubscribe = registry.subscribe((e) => {
      if (e.type !== "peer-closed" && e.type !== "closed" && e.type !== "error") return;
      waiting.delete(e.name);
      if (waiting.size === 0) done();
    });
  });
}

/**
 * `close NAME…`: closes sockets (a listener also stops its built-in server). Unread bytes are
 * thrown away, and the result says how many: `closed a (5 unread bytes discarded)`. A ws socket
 * plays the close handshake: a close frame with `--code` (default 1000) and `--reason`, then it
 * waits (up to `--timeout`, 2 s by default) for the peer's.
 */
export const close: Command = {
  name: "close",
  usage: "close NAME… [--all] [--code N] [--reason R]",
  summary: "close sockets (globs such as srv.* work); says how many unread bytes it discarded",
  details: "Closing a listener stops accepting; its children stay open unless --all is given.\n" +
    "On a ws socket, close sends a close frame (--code N, default 1000; --reason TEXT)\n" +
    "and waits up to --timeout (default 2s) for the peer's before dropping the connection;\n" +
    "ls and the closed event show both codes.",
  options: [
    {
      name: "all",
      type: "flag",
      summary: "--all  a listener's children close with it (without it they stay open)",
    },
    {
      name: "code",
      type: "integer",
      summary: "--code N  ws: the close code to send (default 1000; 1008 policy, 3000-4999 own)",
    },
    { name: "reason", type: "string", summary: "--reason TEXT  ws: the close reason to send" },
    {
      name: "timeout",
      type: "duration",
      summary: "--timeout DURATION  ws: how long to wait for the peer's close frame (2s)",
    },
  ],
  args: ["socket"],
  minArgs: 1,
  script: { closes: true },
  async run(ctx, args) {
    const closed = new Set<string>();
    const peers: NamedSocket[] = [];
    const { code, reason, timeout } = args.options as {
      code?: number;
      reason?: string;
      timeout?: number;
    };
    const handshake = code !== undefined || reason !== undefined || timeout !== undefined;
    for (const token of args.positional) {
      for (const socket of ctx.registry.match(token.text, "close")) {
        if (handshake && !(socket instanceof WsSocket)) {
          const what = socket.info().role === "listener"
            ? `a ${socket.kind} listener`
            : socket.kind;
          throw new SockitError(
            `Cannot close "${socket.name}": --code, --reason and --timeout are for ws connections; it is ${what}`,
            { code: "usage" },
          );
        }
        peers.push(...localPeers(ctx.registry, socket));
        const info = socket.info();
        const unread = socket.closed || info.role === "listener" ? 0 : info.buffered;
        const names = socket instanceof WsSocket
          ? (await socket.close({ code, reason, timeout }), [socket.name])
          : await closeSocket(socket, { children: args.options.all === true });
        for (const n of names) {
          closed.add(
            n === socket.name && unread ? `${n} (${plural(unread, "unread byte")} discarded)` : n,
          );
        }
      }
    }
    await landed(ctx.registry, peers.filter((p) => !closed.has(p.name)), LANDED_MS);
    return { kind: "message", text: `closed ${[...closed].join(", ")}` };
  },
};
