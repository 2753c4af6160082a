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
  let host: string;
  let portText: string;
  const bracket = /^\[([^\]]*)\]:(.*)$/.exec(text);
  if (bracket) {
    host = bracket[1];
    portText = bracket[2];
    if (!host.includes(":")) {
      throw new SockitError(
        `Cannot ${action}: bad address ${showValue(text)}: brackets are for IPv6`,
      );
    }
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) {
      throw new SockitError(
        `Cannot ${action}: bad address ${showValue(text)}: expected HOST:PORT`,
        {
          hint: "for example 127.0.0.1:9000, [::1]:9000 or :9000",
        },
      );
    }
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) {
      throw new SockitError(
        `Cannot ${action}: bad address ${showValue(text)}: IPv6 needs brackets`,
        {
          hint: "for example [::1]:9000",
        },
      );
    }
  }
  if (host === "") host = "127.0.0.1";
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new SockitError(
      `Cannot ${action}: bad port ${showValue(portText)} in ${showValue(text)}: use 0-65535`,
    );
  }
  return { host, port: Number(portText) };
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
