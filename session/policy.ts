/**
 * Least privilege for replays: what a replayed script may touch. By default a script reads and
 * writes files only under its own folder and its `${tmp}`, and reaches the network only on
 * loopback (127.0.0.0/8, ::1, `localhost`); `--allow-read DIR`, `--allow-write DIR` and
 * `--allow-net HOST` (`allowRead`, `allowWrite`, `allowNet`) widen it. The shell consults the
 * policy before every command runs ({@linkcode Policy}), from what the command declares in
 * `Command.script` (path options, the unix path or `HOST:PORT` after a name it defines, an
 * address it sends to, a file it writes, `@file` payloads) and the arguments as parsed, so a
 * refused command never opens a file or a connection.
 *
 * @example Refusing a file outside the script's folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import { replayPolicy } from "./policy.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await using shell = new Shell({ policy: replayPolicy({ read: [dir], write: [dir] }) });
 * await shell.execute("listen tcp srv :0");
 * await assert.rejects(
 *   shell.execute("open tcp a 192.0.2.1:80"),
 *   /Cannot open "a": 192\.0\.2\.1 is not loopback; a replay reaches only loopback \(allow it with --allow-net 192\.0\.2\.1\)/,
 * );
 * await assert.rejects(shell.execute("send srv @/etc/hostname"), /--allow-read \/etc/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import type { Args, Command, Policy } from "../commands/types.ts";
import { SockitError } from "../grammar/errors.ts";
import { parseHostPort } from "../sockets/address.ts";

/** What a replay may touch beyond the defaults; every field optional. */
export interface Permissions {
  /** Folders (and files) it may read: `@file` payloads, `--cert`/`--key`/`--ca`, unix paths. */
  read?: readonly (string | (() => string | undefined))[];
  /** Folders it may write: `record start FILE`, unix socket files it binds. */
  write?: readonly (string | (() => string | undefined))[];
  /** Hosts (as written, or `*` for any) it may reach besides loopback. */
  net?: readonly string[];
}

/** Whether a host is a loopback address (or `localhost`). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) ||
    /^::ffff:127\.\d+\.\d+\.\d+$/.test(h);
}

/** The path with every symbolic link of its existing part resolved (so links cannot escape). */
function canonical(path: string): string {
  const full = resolve(path);
  try {
    return Deno.realPathSync(full);
  } catch {
    const parent = dirname(full);
    return parent === full ? full : resolve(canonical(parent), basename(full));
  }
}

/** Whether `path` is `root` or lies under it. */
export function isInside(path: string, root: string): boolean {
  const rel = relative(canonical(root), canonical(path));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * Throws unless `path` lies under one of `roots`: a SockitError (code `permission`) naming the
 * action, the path and the option that would allow it.
 */
export function checkPath(
  action: string,
  path: string,
  access: "read" | "write",
  roots: readonly (string | (() => string | undefined))[],
  where = "a replay ${access}s only the script's folder and ${tmp}",
): void {
  const dirs = roots.map((r) => typeof r === "function" ? r() : r).filter((r) => r !== undefined);
  if (dirs.some((root) => isInside(path, root!))) return;
  const full = resolve(path);
  throw new SockitError(
    `Cannot ${action}: ${access === "read" ? "reading" : "writing"} "${full}" is not allowed; ` +
      `${where.replace("${access}", access)} (allow it with --allow-${access} ${dirname(full)})`,
    { code: "permission" },
  );
}

/**
 * Whether a replay may reach `host`: loopback always, others when `--allow-net` named them
 * (`net`, lower case) or said `*`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostAllowed } from "./policy.ts";
 * assert.equal(hostAllowed("127.0.0.1", new Set()), true);
 * assert.equal(hostAllowed("Example.com", new Set(["example.com"])), true);
 * assert.equal(hostAllowed("example.org", new Set(["example.com"])), false);
 * ```
 */
export function hostAllowed(host: string, net: ReadonlySet<string>): boolean {
  return isLoopback(host) || net.has("*") || net.has(host.toLowerCase());
}

/** The policy a replay runs under: files under `read`/`write`, hosts on loopback or in `net`. */
export function replayPolicy(permissions: Permissions): Policy {
  const read = [...(permissions.read ?? []), ...(permissions.write ?? [])];
  const write = permissions.write ?? [];
  const net = new Set((permissions.net ?? []).map((h) => h.toLowerCase()));
  const host = (action: string, address: string) => {
    let parsed;
    try {
      parsed = parseHostPort(address, action);
    } catch {
      return; // The command itself rejects a malformed address, before any connection.
    }
    if (hostAllowed(parsed.host, net)) return;
    throw new SockitError(
      `Cannot ${action}: ${parsed.host} is not loopback; a replay reaches only loopback ` +
        `(allow it with --allow-net ${parsed.host})`,
      { code: "permission" },
    );
  };
  return (command: Command, args: Args) => {
    const spec = command.script ?? {};
    const { positional, options } = args;
    const name = positional[spec.socket ?? 0]?.text ?? "";
    const action = `${command.name} "${name}"`;
    for (const option of spec.paths ?? []) {
      const value = options[option];
      if (typeof value === "string") checkPath(action, value, "read", read);
    }
    if (spec.writes !== undefined && positional[spec.writes]) {
      checkPath(
        `${command.name} ${positional.map((t) => t.text).join(" ")}`,
        positional[spec.writes].text,
        "write",
        write,
      );
    }
    if (spec.sends) {
      for (const token of positional.slice(spec.sends.payload)) {
        if (!token.quoted && token.text.startsWith("@") && token.text.length > 1) {
          checkPath(`send to "${name}"`, token.text.slice(1), "read", read);
        }
      }
    }
    if (spec.address !== undefined && positional[spec.address]) {
      host(`send to "${name}"`, positional[spec.address].text);
    }
    if (spec.defines !== undefined && spec.transport !== undefined) {
      const defined = positional[spec.defines]?.text ?? "";
      const address = positional[spec.defines + 1]?.text;
      const verb = `${command.name} "${defined}"`;
      if (address === undefined) return;
      if (positional[spec.transport]?.text === "unix") {
        checkPath(verb, address, spec.binds ? "write" : "read", spec.binds ? write : read);
      } else host(verb, address);
    }
  };
}
