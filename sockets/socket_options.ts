/**
 * Socket options of a TCP-based socket (tcp, tls, and a tunnel through a proxy): TCP_NODELAY
 * and keepalive, as `open … --nodelay on|off --keepalive D` set them and `sockopt NAME [OPTION
 * VALUE]` shows or changes them; plus the parsers of those values and of `--bind`.
 *
 * Neither Deno nor node:net can read these options back, so what is shown is what sockit set
 * (at connect, or by `sockopt` since): nodelay is on by default, for every socket sockit dials
 * or accepts, because a shell sends small writes and waits for the answer; with Nagle on, a
 * second small write waits for the first one's ACK, which the peer delays (up to 40 ms on
 * Linux). Keepalive is off by default. A connection Deno dialled (no `--bind`, no
 * `--keepalive`) can switch keepalive on only with the system's idle time
 * (`net.ipv4.tcp_keepalive_time`); one dialled with `--bind` or `--keepalive` is a node:net
 * socket whose idle time can be set, also later.
 *
 * @module
 */

import { SockitError } from "../grammar/errors.ts";
import { formatDuration, parseDuration } from "../grammar/duration.ts";
import { showValue } from "../grammar/show_value.ts";
import { type HostPort, parseHostPort } from "./address.ts";
import { NodeTcpConn } from "./node_tcp.ts";

/** The two TCP knobs, whatever the connection underneath. */
export interface TcpKnobs {
  setNoDelay(on: boolean): void;
  setKeepAlive(on: boolean, idleMs?: number): void;
}

/** Keepalive: off, on with the system's idle time, or on with an idle time in ms. */
export type Keepalive = "off" | "system" | number;

/** Parses `on` or `off` for `--nodelay`. */
export function parseOnOff(text: string, option: string, action: string): boolean {
  if (text === "on" || text === "true") return true;
  if (text === "off" || text === "false") return false;
  throw new SockitError(`Cannot ${action}: ${option} takes on or off, not ${showValue(text)}`, {
    code: "usage",
  });
}

/**
 * Parses a keepalive idle time (`30s`, `2m`) or `off`: at least 1s, in whole seconds, as the
 * kernel counts it.
 *
 * @example Keepalive values
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseKeepalive } from "./socket_options.ts";
 * assert.equal(parseKeepalive("30s", 'open "a"'), 30_000);
 * assert.equal(parseKeepalive("off", 'open "a"'), "off");
 * assert.throws(() => parseKeepalive("10ms", 'open "a"'), /at least 1s/);
 * ```
 */
export function parseKeepalive(text: string, action: string): number | "off" {
  if (text === "off") return "off";
  const ms = parseDuration(text, `${action.replace(/ ".*$/, "")} --keepalive`);
  if (ms < 1000 || ms % 1000 !== 0) {
    throw new SockitError(
      `Cannot ${action}: --keepalive ${showValue(text)}: use whole seconds, at least 1s (or off)`,
      { code: "usage" },
    );
  }
  return ms;
}

/**
 * Parses `--bind ADDR[:PORT]`: `127.0.0.1`, `127.0.0.1:40000`, `[::1]:0`, `::1` or `:40000`
 * (127.0.0.1). Port 0 or none: any free port.
 *
 * @example Source addresses
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBind } from "./socket_options.ts";
 * assert.deepEqual(parseBind("127.0.0.1", 'open "a"'), { host: "127.0.0.1", port: 0 });
 * assert.deepEqual(parseBind("[::1]:4000", 'open "a"'), { host: "::1", port: 4000 });
 * ```
 */
export function parseBind(text: string, action: string): HostPort {
  if (text === "") {
    throw new SockitError(`Cannot ${action}: --bind needs ADDR[:PORT]`, { code: "usage" });
  }
  const bare = !text.startsWith("[") && (text.split(":").length > 2 || !text.includes(":"));
  return bare ? { host: text, port: 0 } : parseHostPort(text, `${action} --bind`);
}

/** The system's keepalive idle time, for display, when Linux tells it. */
function systemIdle(): string {
  try {
    const s = Deno.readTextFileSync("/proc/sys/net/ipv4/tcp_keepalive_time").trim();
    return `system idle time ${s}s`;
  } catch {
    return "system idle time";
  }
}

/** The options of one socket: what was set, and the knobs to change them. */
export class SocketOptions {
  #knobs: TcpKnobs;
  #canSetIdle: boolean;
  nodelay: boolean;
  keepalive: Keepalive;
  /** The proxy the socket was dialled through (`SOCKS5 proxy 127.0.0.1:1080`), if any. */
  readonly proxy?: string;

  constructor(
    knobs: TcpKnobs,
    settings: { nodelay?: boolean; keepalive?: Keepalive; proxy?: string } = {},
  ) {
    this.#knobs = knobs;
    this.#canSetIdle = knobs instanceof NodeTcpConn;
    this.nodelay = settings.nodelay ?? true;
    this.keepalive = settings.keepalive ?? "off";
    this.proxy = settings.proxy;
  }

  /** Rows of `sockopt NAME`: option and value. */
  rows(): string[][] {
    const keepalive = this.keepalive === "off"
      ? "off"
      : this.keepalive === "system"
      ? `on (${systemIdle()})`
      : `on (idle ${formatDuration(this.keepalive)})`;
    const rows = [["nodelay", this.nodelay ? "on" : "off"], ["keepalive", keepalive]];
    if (this.proxy) rows.push(["proxy", this.proxy]);
    return rows;
  }

  /** Changes one option (`nodelay on|off`, `keepalive D|on|off`), failing in one line. */
  set(option: string, value: string, action: string): void {
    if (option === "nodelay") {
      const on = parseOnOff(value, "nodelay", action);
      this.#knobs.setNoDelay(on);
      this.nodelay = on;
      return;
    }
    if (option === "keepalive") {
      if (value === "on") {
        if (typeof this.keepalive === "number") return; // on already, with its idle time
        this.#knobs.setKeepAlive(true);
        this.keepalive = "system";
        return;
      }
      const ms = parseKeepalive(value, action);
      if (ms !== "off" && !this.#canSetIdle) {
        throw new SockitError(
          `Cannot ${action}: keepalive ${showValue(value)}: Deno cannot set the idle time of ` +
            "this connection; open it with --keepalive D, or use keepalive on (the system's)",
          { code: "usage" },
        );
      }
      this.#knobs.setKeepAlive(ms !== "off", ms === "off" ? undefined : ms);
      this.keepalive = ms;
      return;
    }
    if (option === "proxy") {
      throw new SockitError(`Cannot ${action}: the proxy is chosen when the socket opens`, {
        code: "usage",
      });
    }
    throw new SockitError(`Cannot ${action}: unknown option ${showValue(option)}`, {
      code: "usage",
      hint: "options: nodelay on|off, keepalive D|on|off",
    });
  }
}

const bySocket = new WeakMap<object, SocketOptions>();

/** Records the options a socket was opened with. */
export function attachOptions(socket: object, options: SocketOptions): void {
  bySocket.set(socket, options);
}

/** The TCP connection under a transport (a tunnel's or a TLS transport's `raw`), if any. */
export function knobsOf(transport: unknown): TcpKnobs | undefined {
  let t = transport as { raw?: unknown; setNoDelay?: unknown; setKeepAlive?: unknown } | undefined;
  for (let depth = 0; t && depth < 4; depth++) {
    if (typeof t.setNoDelay === "function" && typeof t.setKeepAlive === "function") {
      return t as unknown as TcpKnobs;
    }
    t = t.raw as typeof t;
  }
  return undefined;
}

/**
 * The options of `socket`: those it was opened with, or, for an accepted TCP or TLS
 * connection, the defaults every accepted connection gets (nodelay on, keepalive off).
 * Undefined for sockets without TCP underneath (unix, udp).
 */
export function optionsOf(socket: { conn?: unknown }): SocketOptions | undefined {
  const known = bySocket.get(socket);
  if (known) return known;
  const knobs = knobsOf(socket.conn);
  if (!knobs) return undefined;
  const made = new SocketOptions(knobs);
  bySocket.set(socket, made);
  return made;
}
