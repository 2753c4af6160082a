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

import { SockitError } from "../grammar/errors.ts";
import type { SocketRegistry } from "../sockets/registry.ts";
import { SOCKET_PROPS } from "./_private.ts";
import { parseTemplate, substitute, TemplateError, UndefinedVariable } from "./template.ts";

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

/**
 * A command line with its socket variables filled in, as a script's commands are: `${srv.port}`
 * becomes the port, `$${` stays a literal `${`. The interactive shell and batch mode run every
 * line through this, so a line behaves the same typed, piped or replayed.
 */
export function expandSocketVariables(line: string, registry: SocketRegistry): string {
  if (!line.includes("${")) return line;
  try {
    return substitute(parseTemplate(line, false), (name) => socketVariable(registry, name));
  } catch (error) {
    const hint = "use ${NAME.local|remote|host|port}; $${ is a literal ${";
    if (error instanceof UndefinedVariable) {
      throw new SockitError(
        `Cannot expand \${${error.variable}}: ${whyUndefined(registry, error.variable)}`,
        { hint },
      );
    }
    if (error instanceof TemplateError) {
      throw new SockitError(`Cannot expand "${line}": ${error.message}`, { hint });
    }
    throw error;
  }
}

function whyUndefined(registry: SocketRegistry, variable: string): string {
  const dot = variable.lastIndexOf(".");
  const socket = dot < 0 ? variable : variable.slice(0, dot);
  const prop = variable.slice(dot + 1);
  if (dot < 0 || !registry.has(socket)) return `no socket "${socket}"`;
  if (!SOCKET_PROPS.has(prop)) return `unknown property "${prop}"`;
  return `"${socket}" has no ${prop === "remote" ? "remote address" : prop}`;
}
