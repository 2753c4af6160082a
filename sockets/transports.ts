import { SockitError } from "../grammar/errors.ts";
import type { NamedSocket } from "./named_socket.ts";
import { nearest } from "../grammar/nearest.ts";
import type { SocketRegistry } from "./registry.ts";
import { type DialOptions, listenTcp, openTcp } from "./tcp.ts";
import { listenUdp, openUdp } from "./udp.ts";
import { listenUnix, openUnix } from "./unix.ts";
import type { TlsOptions } from "./tls.ts";
import type { ListenTlsOptions } from "./tls_sockets.ts";
import type { WsListenOptions } from "./ws_transport.ts";

// TLS loads node:tls, which costs start-up time: it is imported on first use.
const tls = () => import("./tls_sockets.ts");
// WebSocket is imported on first use too (wss loads TLS in turn).
const ws = () => import("./ws_transport.ts");

/** Transport-specific options passed through from `open`/`listen` (e.g. TLS files). */
export type TransportOptions = DialOptions & Record<string, unknown>;

/** Connects a named socket of one transport kind. */
export type Dialer = (
  registry: SocketRegistry,
  name: string,
  address: string,
  options: TransportOptions,
) => Promise<NamedSocket>;

/** Binds or listens a named socket of one transport kind. */
export type Binder = (
  registry: SocketRegistry,
  name: string,
  address: string,
  options: TransportOptions,
) => Promise<NamedSocket>;

/** `open KIND …` by kind. Transports add themselves here. */
export const dialers = new Map<string, Dialer>([
  ["tcp", (r, n, a, o) => openTcp(r, n, a, o)],
  ["udp", (r, n, a, o) => openUdp(r, n, a, o)],
  ["unix", (r, n, a, o) => openUnix(r, n, a, o)],
  ["tls", async (r, n, a, o) => (await tls()).openTls(r, n, a, o as TlsOptions)],
  ["ws", async (r, n, a, o) => (await ws()).openWs(r, "ws", n, a, o)],
  ["wss", async (r, n, a, o) => (await ws()).openWs(r, "wss", n, a, o)],
]);

/** `listen KIND …` by kind. Transports add themselves here. */
export const binders = new Map<string, Binder>([
  ["tcp", (r, n, a, o) => Promise.resolve(listenTcp(r, n, a, o as { reusePort?: boolean }))],
  ["udp", (r, n, a, o) => listenUdp(r, n, a, o as Parameters<typeof listenUdp>[3])],
  ["unix", (r, n, a, o) => listenUnix(r, n, a, o)],
  ["tls", async (r, n, a, o) => (await tls()).listenTls(r, n, a, o as ListenTlsOptions)],
  ["ws", async (r, n, a, o) => (await ws()).listenWs(r, "ws", n, a, o as WsListenOptions)],
  ["wss", async (r, n, a, o) => (await ws()).listenWs(r, "wss", n, a, o as WsListenOptions)],
]);

/** Looks up a transport kind, suggesting the nearest on a typo. */
export function transport<T>(table: Map<string, T>, kind: string, action: string): T {
  const found = table.get(kind);
  if (found) return found;
  const guess = nearest(kind, table.keys());
  throw new SockitError(`Cannot ${action}: unknown transport "${kind}"`, {
    code: "usage",
    hint: guess ? `did you mean ${guess}?` : `transports: ${[...table.keys()].join(", ")}`,
  });
}
