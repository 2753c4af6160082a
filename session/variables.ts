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
 * The one lookup of `${NAME}` for the shell, batch mode and scripts: the session's variables
 * (captures such as `${id}`, and what a replay was given) first, then socket variables
 * (`${srv.port}`), then `fallback` (a replay's `${tmp}` and `${dir}`).
 *
 * @example Captures first, then sockets
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketRegistry } from "../sockets/registry.ts";
 * import { lookupVariable } from "./variables.ts";
 * await using registry = new SocketRegistry();
 * const lookup = lookupVariable(registry, new Map([["id", "42"]]));
 * assert.equal(lookup("id"), "42");
 * assert.equal(lookup("nope.port"), undefined);
 * ```
 */
export function lookupVariable(
  registry: SocketRegistry,
  variables: ReadonlyMap<string, string>,
  fallback?: (name: string) => string | undefined,
): (name: string) => string | undefined {
  return (name) => variables.get(name) ?? socketVariable(registry, name) ?? fallback?.(name);
}

/**
 * A command line with its variables filled in, as a script's commands are: `${srv.port}`
 * becomes the port, `${id}` what `expect a /id=(?<id>\d+)/` captured, `$${` stays a literal
 * `${`. The interactive shell and batch mode run every line through this, so a line behaves the
 * same typed, piped or replayed.
 *
 * @example A capture and a socket variable
 * ```ts
 * import assert from "node:assert/strict";
 * import { SocketRegistry } from "../sockets/registry.ts";
 * import { expandVariables } from "./variables.ts";
 * await using registry = new SocketRegistry();
 * assert.equal(expandVariables("send a ${id}", registry, new Map([["id", "7"]])), "send a 7");
 * assert.throws(() => expandVariables("send a ${nope}", registry), /Cannot expand \$\{nope\}/);
 * ```
 */
export function expandVariables(
  line: string,
  registry: SocketRegistry,
  variables: ReadonlyMap<string, string> = new Map(),
): string {
  if (!line.includes("${")) return line;
  try {
    return substitute(parseTemplate(line, false), lookupVariable(registry, variables));
  } catch (error) {
    const hint = "use ${NAME.local|remote|host|port} or a capture (vars lists them); " +
      "$${ is a literal ${";
    if (error instanceof UndefinedVariable) {
      throw new SockitError(
        `Cannot expand \${${error.variable}}: ${whyUndefined(registry, error.variable)}`,
        { hint, code: "not-found" },
      );
    }
    if (error instanceof TemplateError) {
      throw new SockitError(`Cannot expand "${line}": ${error.message}`, { hint, code: "usage" });
    }
    throw error;
  }
}

function whyUndefined(registry: SocketRegistry, variable: string): string {
  const dot = variable.lastIndexOf(".");
  const socket = dot < 0 ? variable : variable.slice(0, dot);
  const prop = variable.slice(dot + 1);
  if (dot < 0) return `no variable "${variable}" (vars lists them)`;
  if (!registry.has(socket)) return `no socket "${socket}"`;
  if (!SOCKET_PROPS.has(prop)) return `unknown property "${prop}"`;
  return `"${socket}" has no ${prop === "remote" ? "remote address" : prop}`;
}
