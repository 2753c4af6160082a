import { showValue } from "../grammar/show_value.ts";
import { SockitError } from "../grammar/errors.ts";

/** A parsed `HOST:PORT` address. `host` has no brackets, even for IPv6. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT` or a bare `:PORT` (which binds or dials 127.0.0.1, never
 * 0.0.0.0 by accident). `action` names what the address is for, to word the error.
 *
 * @example Parsing the address forms
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHostPort } from "./address.ts";
 * assert(parseHostPort(":9000", "listen").host === "127.0.0.1");
 * assert(parseHostPort("[::1]:80", "open").host === "::1");
 * ```
 */
export function parseHostPort(text: string, action: string): HostPort {
  const bad = (why: string, hint?: string) =>
    new SockitError(`Cannot ${action}: bad address "${text}": ${why}`, { code: "usage", hint });
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw bad("the [ is never closed", "for example [::1]:9000");
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest === "") throw bad("missing :PORT after the ]", `for example ${text}:9000`);
    if (!rest.startsWith(":")) throw bad(`expected :PORT after the ], got ${showValue(rest)}`);
    portText = rest.slice(1);
    if (!host.includes(":")) throw bad("brackets are for IPv6", `for example ${host}:${portText}`);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) {
      throw bad("expected HOST:PORT", "for example 127.0.0.1:9000, [::1]:9000 or :9000");
    }
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) throw bad("IPv6 needs brackets", "for example [::1]:9000");
  }
  if (host === "") host = "127.0.0.1";
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new SockitError(
      `Cannot ${action}: bad port ${showValue(portText)} in ${showValue(text)}: use 0-65535`,
      {
        code: "usage",
      },
    );
  }
  return { host, port: Number(portText) };
}

/**
 * Refuses port 0 as an address to connect or send to (0 only means "any port" when binding),
 * with a one-line error naming the action.
 *
 * @example Port 0 is for listening
 * ```ts
 * import assert from "node:assert/strict";
 * import { requirePeerPort } from "./address.ts";
 * assert.throws(() => requirePeerPort(0, 'open "d"'), /port 0 is not a peer address/);
 * requirePeerPort(9000, 'open "d"');
 * ```
 */
export function requirePeerPort(port: number, action: string): void {
  if (port !== 0) return;
  throw new SockitError(`Cannot ${action}: port 0 is not a peer address`, {
    code: "usage",
    hint: "port 0 means any free port only when listening; give the peer's port",
  });
}

/** Formats a host and port, bracketing IPv6 hosts: `[::1]:80`. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Formats a Deno address (net or unix) for display. */
export function formatAddr(addr: Deno.Addr | undefined): string {
  if (!addr) return "-";
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return formatHostPort(addr.hostname, addr.port);
  }
  return (addr as Deno.UnixAddr).path || "(unnamed)";
}
