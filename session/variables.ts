/**
 * Socket variables: `${NAME.local}`, `${NAME.remote}`, `${NAME.host}` and `${NAME.port}` read
 * a socket's addresses from the registry, so a script can use ephemeral ports it did not know
 * when it was written.
 *
 * @example Reading a listener's port
 * ```ts
 * import { SocketRegistry } from "../sockets/registry.ts";
 * import { listenTcp } from "../sockets/tcp.ts";
 * import { socketValues, socketVariable } from "./variables.ts";
 * import assert from "node:assert/strict";
 *
 * await using registry = new SocketRegistry();
 * const srv = listenTcp(registry, "srv", "127.0.0.1:0");
 * assert.equal(socketVariable(registry, "srv.local"), srv.local);
 * assert.equal(socketVariable(registry, "srv.port"), srv.local.split(":")[1]);
 * assert.deepEqual(socketValues(registry), [[srv.local, "srv.local"]]);
 * ```
 *
 * @module
 */

import type { SocketRegistry } from "../sockets/registry.ts";
import { SOCKET_PROPS } from "./_private.ts";

/** The value of `${SOCKET.prop}`, or undefined when there is no such socket or property. */
export function socketVariable(registry: SocketRegistry, name: string): string | undefined {
  const dot = name.lastIndexOf(".");
  if (dot < 0) return undefined;
  const socket = name.slice(0, dot);
  const prop = name.slice(dot + 1);
  if (!SOCKET_PROPS.has(prop) || !registry.has(socket)) return undefined;
  const info = registry.get(socket, "read").info();
  if (prop === "local") return info.local;
  if (prop === "remote") return info.remote === "-" ? undefined : info.remote;
  const colon = info.local.lastIndexOf(":");
  if (colon < 0) return undefined;
  return prop === "port"
    ? info.local.slice(colon + 1)
    : info.local.slice(0, colon).replace(/^\[|\]$/g, "");
}

/**
 * Every address a recorder may turn back into a variable, in the order of preference:
 * listeners' local addresses, then each socket's local address, then remote addresses.
 * `only` restricts the sockets to those a script knows about.
 */
export function socketValues(
  registry: SocketRegistry,
  only?: (socket: string) => boolean,
): [value: string, name: string][] {
  const infos = registry.all().map((s) => s.info()).filter((i) => !only || only(i.name));
  const listeners = infos.filter((i) => i.role === "listener");
  const others = infos.filter((i) => i.role !== "listener");
  return [
    ...listeners.map((i): [string, string] => [i.local, `${i.name}.local`]),
    ...others.map((i): [string, string] => [i.local, `${i.name}.local`]),
    ...others.filter((i) => i.remote !== "-").map((i): [string, string] => [
      i.remote,
      `${i.name}.remote`,
    ]),
  ];
}
