/**
 * Dialling through a proxy (`open tcp|tls … --proxy URL`): SOCKS5 (RFC 1928, with the
 * username/password method of RFC 1929) and HTTP CONNECT. The handshake runs on a connection
 * to the proxy; what it returns is the tunnel, with any bytes of the target's that came in the
 * same read as the proxy's answer kept at its front (never dropped, never shown as the
 * proxy's). TLS runs inside the tunnel like on any other connection.
 *
 * @module
 */

import { SockitError } from "../grammar/errors.ts";
import { showValue } from "../grammar/show_value.ts";
import { formatHostPort } from "./address.ts";
import type { StreamTransport } from "./stream_socket.ts";
import { resolveHost } from "./udp.ts";

/** A parsed `--proxy` URL. */
export interface ProxySpec {
  /** `socks5` resolves the target here, `socks5h` at the proxy; `http` is HTTP CONNECT. */
  scheme: "socks5" | "socks5h" | "http";
  host: string;
  port: number;
  user?: string;
  password?: string;
  /** For messages: the kind and address, never the password (`SOCKS5 proxy 127.0.0.1:1080`). */
  shown: string;
}

const SCHEMES = ["socks5", "socks5h", "http"] as const;

/**
 * Parses `socks5://[USER:PASS@]HOST:PORT`, `socks5h://…` or `http://[USER:PASS@]HOST:PORT`;
 * anything else is a one-line `usage` error naming the action and the value.
 *
 * @example A SOCKS5 proxy with credentials
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProxy } from "./proxy.ts";
 * const p = parseProxy("socks5://me:secret@127.0.0.1:1080", 'open "a"');
 * assert.equal(p.scheme, "socks5");
 * assert.equal(p.user, "me");
 * assert.equal(p.shown, "SOCKS5 proxy 127.0.0.1:1080");
 * assert.throws(() => parseProxy("ftp://x:1", 'open "a"'), /unknown proxy scheme "ftp"/);
 * ```
 */
export function parseProxy(text: string, action: string): ProxySpec {
  const hint = "for example socks5://127.0.0.1:1080, socks5h://user:pass@host:1080 or " +
    "http://127.0.0.1:3128";
  const bad = (why: string) =>
    new SockitError(
      `Cannot ${action}: bad --proxy ${showValue(text.replace(/:[^:@/]*@/, ":***@"))}: ${why}`,
      { code: "usage", hint },
    );
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
  if (!m) throw bad("expected SCHEME://HOST:PORT");
  const scheme = m[1].toLowerCase();
  if (!(SCHEMES as readonly string[]).includes(scheme)) {
    throw new SockitError(
      `Cannot ${action}: unknown proxy scheme ${showValue(scheme)} in --proxy`,
      {
        code: "usage",
        hint: "proxies: socks5://, socks5h:// (name resolved by the proxy), http://",
      },
    );
  }
  let url: URL;
  try {
    // The parser of a non-special scheme keeps host, port and credentials as typed.
    url = new URL(`sockit-proxy://${m[2]}`);
  } catch {
    throw bad("not a URL");
  }
  if (url.pathname !== "" && url.pathname !== "/") throw bad("a proxy URL has no path");
  if (url.port === "") throw bad("missing :PORT");
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw bad("missing HOST");
  const port = Number(url.port);
  const kind = scheme === "http" ? "HTTP" : "SOCKS5";
  return {
    scheme: scheme as ProxySpec["scheme"],
    host,
    port,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.username ? decodeURIComponent(url.password) : undefined,
    shown: `${kind} proxy ${formatHostPort(host, port)}`,
  };
}

/** What each SOCKS5 reply code means (RFC 1928 §6). */
export const SOCKS_REPLIES: Record<number, string> = {
  1: "general SOCKS server failure",
  2: "connection not allowed by ruleset",
  3: "network unreachable",
  4: "host unreachable",
  5: "connection refused",
  6: "TTL expired",
  7: "command not supported",
  8: "address type not supported",
};

/** Reads a handshake from a connection, keeping what comes after it. */
class HandshakeReader {
  #conn: StreamTransport;
  #buf = new Uint8Array(0);
  constructor(conn: StreamTransport) {
    this.#conn = conn;
  }
  async #more(): Promise<boolean> {
    const chunk = new Uint8Array(16 * 1024);
    const n = await this.#conn.read(chunk);
    if (n === null) return false;
    const joined = new Uint8Array(this.#buf.length + n);
    joined.set(this.#buf);
    joined.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = joined;
    return true;
  }
  /** Exactly `n` bytes, or null when the proxy closed first. */
  async exact(n: number): Promise<Uint8Array | null> {
    while (this.#buf.length < n) if (!await this.#more()) return null;
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }
  /** Bytes up to and including the first `\r\n\r\n`, or null (closed, or over `max`). */
  async header(max: number): Promise<Uint8Array | null> {
    let from = 0;
    while (true) {
      for (let i = Math.max(0, from - 3); i + 3 < this.#buf.length; i++) {
        if (
          this.#buf[i] === 13 && this.#buf[i + 1] === 10 && this.#buf[i + 2] === 13 &&
          this.#buf[i + 3] === 10
        ) return this.exact(i + 4);
      }
      from = this.#buf.length;
      if (from > max || !await this.#more()) return null;
    }
  }
  /** Whatever arrived after the handshake. */
  rest(): Uint8Array {
    return this.#buf;
  }
}

/**
 * The tunnel: the connection to the proxy, with the first bytes of the target's stream that
 * arrived with the proxy's answer read first.
 */
export class Tunnel implements StreamTransport {
  /** The connection to the proxy (for socket options). */
  readonly raw: StreamTransport;
  readonly localAddr: Deno.Addr;
  readonly remoteAddr: Deno.Addr;
  #early: Uint8Array;
  constructor(raw: StreamTransport, early: Uint8Array, target: Deno.NetAddr) {
    this.raw = raw;
    this.#early = early;
    this.localAddr = raw.localAddr;
    this.remoteAddr = target;
  }
  read(p: Uint8Array): Promise<number | null> {
    if (this.#early.length === 0) return this.raw.read(p);
    const n = Math.min(p.length, this.#early.length);
    p.set(this.#early.subarray(0, n));
    this.#early = this.#early.subarray(n);
    return Promise.resolve(n);
  }
  write(p: Uint8Array): Promise<number> {
    return this.raw.write(p);
  }
  closeWrite(): Promise<void> {
    return this.raw.closeWrite();
  }
  close(): void {
    this.raw.close();
  }
}

async function writeAll(conn: StreamTransport, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

const encoder = new TextEncoder();

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

/** The SOCKS5 address of a target: IPv4, IPv6 or (socks5h) a name for the proxy to resolve. */
function socksAddress(host: string): Uint8Array {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return Uint8Array.of(1, ...host.split(".").map(Number));
  if (host.includes(":")) {
    const [head, tail = ""] = host.split("::");
    const words = (s: string) => s ? s.split(":").map((w) => parseInt(w, 16)) : [];
    const h = words(head), t = words(tail);
    const all = host.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill(0), ...t] : h;
    return Uint8Array.of(4, ...all.flatMap((w) => [w >> 8, w & 255]));
  }
  const name = encoder.encode(host);
  return Uint8Array.of(3, name.length, ...name);
}

/**
 * Asks the proxy on `conn` for a tunnel to `host:port` and returns it (see {@link Tunnel}).
 * Refusals are one line naming the proxy and its answer: the SOCKS reply code and its meaning
 * (code `refused` for "connection refused", `permission` for rejected credentials), or the
 * HTTP status line (`permission` for 401/403/407, `refused` for 502/503/504).
 */
export async function proxyHandshake(
  conn: StreamTransport,
  proxy: ProxySpec,
  host: string,
  port: number,
  action: string,
): Promise<Tunnel> {
  const target = formatHostPort(host, port);
  const reader = new HandshakeReader(conn);
  const fail = (why: string, code: SockitError["code"] = "failed") =>
    new SockitError(`Cannot ${action}: ${proxy.shown} ${why}`, { code });
  const closed = () => fail(`closed the connection during the handshake for ${target}`);
  let peerHost = host;
  if (proxy.scheme === "http") {
    const auth = proxy.user !== undefined
      ? `Proxy-Authorization: Basic ${btoa(`${proxy.user}:${proxy.password ?? ""}`)}\r\n`
      : "";
    await writeAll(
      conn,
      encoder.encode(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`),
    );
    const header = await reader.header(16 * 1024);
    if (!header) throw closed();
    const statusLine = new TextDecoder().decode(header).split("\r\n")[0];
    const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(statusLine);
    if (!status) {
      throw fail(`answered CONNECT with ${showValue(statusLine)}, not HTTP`, "malformed");
    }
    const code = Number(status[1]);
    if (code < 200 || code > 299) {
      const kind = code === 401 || code === 403 || code === 407
        ? "permission"
        : code >= 502 && code <= 504
        ? "refused"
        : "failed";
      throw fail(`refused CONNECT ${target}: ${showValue(statusLine)}`, kind);
    }
  } else {
    const creds = proxy.user !== undefined;
    await writeAll(conn, creds ? Uint8Array.of(5, 2, 0, 2) : Uint8Array.of(5, 1, 0));
    const choice = await reader.exact(2);
    if (!choice) throw closed();
    if (choice[0] !== 5) throw fail("does not speak SOCKS5", "malformed");
    if (choice[1] === 0xff) {
      throw fail(
        creds
          ? "accepts none of our authentication methods"
          : "requires authentication (give socks5://USER:PASS@…)",
        "permission",
      );
    }
    if (choice[1] === 2) {
      if (!creds) throw fail("asked for a password we do not have", "permission");
      const user = encoder.encode(proxy.user!), pass = encoder.encode(proxy.password ?? "");
      await writeAll(conn, Uint8Array.of(1, user.length, ...user, pass.length, ...pass));
      const verdict = await reader.exact(2);
      if (!verdict) throw closed();
      if (verdict[1] !== 0) {
        throw fail(
          `rejected the username and password for ${showValue(proxy.user!)}`,
          "permission",
        );
      }
    } else if (choice[1] !== 0) {
      throw fail(`chose an unknown authentication method ${choice[1]}`, "malformed");
    }
    if (proxy.scheme === "socks5" && !isIp(host)) peerHost = await resolveHost(host, action);
    const portBytes = [port >> 8, port & 255];
    await writeAll(conn, Uint8Array.of(5, 1, 0, ...socksAddress(peerHost), ...portBytes));
    const head = await reader.exact(4);
    if (!head) throw closed();
    if (head[1] !== 0) {
      const meaning = SOCKS_REPLIES[head[1]] ?? "unknown reply";
      throw fail(
        `refused ${formatHostPort(peerHost, port)}: reply ${head[1]} (${meaning})`,
        head[1] === 5 ? "refused" : head[1] === 2 ? "permission" : "failed",
      );
    }
    const addrLength = head[3] === 1 ? 4 : head[3] === 4 ? 16 : ((await reader.exact(1)) ?? [0])[0];
    if (!await reader.exact(addrLength + 2)) throw closed();
  }
  return new Tunnel(conn, reader.rest(), { transport: "tcp", hostname: peerHost, port });
}
