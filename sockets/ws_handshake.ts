/**
 * The RFC 6455 opening handshake on a raw byte stream: {@link clientHandshake} sends the HTTP
 * Upgrade request and checks the server's 101 answer (Sec-WebSocket-Accept, the subprotocol);
 * {@link serverHandshake} reads a client's request and answers it. Both return the bytes that
 * arrived after the HTTP head (the first frames), so nothing the peer sent early is lost.
 *
 * @module
 */

import { SockitError } from "../grammar/errors.ts";
import type { StreamTransport } from "./stream_socket.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** The most bytes an HTTP head of the handshake may take. */
const MAX_HEAD = 16 * 1024;

/**
 * The Sec-WebSocket-Accept value for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)).
 *
 * @example The RFC's own example
 * ```ts
 * import assert from "node:assert/strict";
 * import { acceptKey } from "./ws_handshake.ts";
 * assert.equal(await acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
 * ```
 */
export async function acceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + GUID));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** An HTTP head: its first line, headers (lower-case names) and the bytes after it. */
interface Head {
  start: string;
  headers: Map<string, string>;
  rest: Uint8Array;
}

/** Reads through the blank line ending an HTTP head; `what` words errors. */
async function readHead(conn: StreamTransport, what: string): Promise<Head> {
  let data = new Uint8Array(0);
  const chunk = new Uint8Array(4096);
  while (true) {
    const end = headEnd(data);
    if (end >= 0) {
      const text = new TextDecoder("latin1").decode(data.subarray(0, end));
      const [start, ...lines] = text.split("\r\n");
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        const key = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers.set(key, headers.has(key) ? `${headers.get(key)}, ${value}` : value);
      }
      return { start, headers, rest: data.slice(end + 4) };
    }
    if (data.length > MAX_HEAD) {
      throw new SockitError(`${what}: the HTTP head is over ${MAX_HEAD} bytes`, {
        code: "malformed",
      });
    }
    const n = await conn.read(chunk);
    if (n === null) {
      throw new SockitError(
        `${what}: the peer closed the connection ${
          data.length ? "in the middle of" : "before"
        } the HTTP handshake`,
        { code: "eof" },
      );
    }
    const grown = new Uint8Array(data.length + n);
    grown.set(data);
    grown.set(chunk.subarray(0, n), data.length);
    data = grown;
  }
}

function headEnd(data: Uint8Array): number {
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 13 && data[i + 1] === 10 && data[i + 2] === 13 && data[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

async function writeAll(conn: StreamTransport, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** What the client asks for in its handshake. */
export interface ClientHandshake {
  /** The Host header (`host:port`). */
  host: string;
  /** The request target: path and query, e.g. `/chat?x=1`. */
  path: string;
  /** Extra headers, `K:V` each (`--header`). */
  headers?: string[];
  /** Subprotocols to offer, in order of preference (`--subprotocol`). */
  subprotocols?: string[];
}

/** What a finished client handshake learnt. */
export interface ClientHandshakeResult {
  /** The subprotocol the server chose, if any. */
  protocol?: string;
  /** Bytes that came after the server's head (early frames). */
  rest: Uint8Array;
}

/**
 * Sends the Upgrade request and checks the answer. `action` words errors: a server that does
 * not answer 101 gives `Cannot open "a": the server answered HTTP 403 Forbidden, not 101`.
 */
export async function clientHandshake(
  conn: StreamTransport,
  request: ClientHandshake,
  action: string,
): Promise<ClientHandshakeResult> {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const lines = [
    `GET ${request.path} HTTP/1.1`,
    `Host: ${request.host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${key}`,
    "Sec-WebSocket-Version: 13",
  ];
  if (request.subprotocols?.length) {
    lines.push(`Sec-WebSocket-Protocol: ${request.subprotocols.join(", ")}`);
  }
  for (const header of request.headers ?? []) {
    const colon = header.indexOf(":");
    if (colon <= 0 || /[\r\n]/.test(header)) {
      throw new SockitError(`Cannot ${action}: --header ${JSON.stringify(header)} is not K:V`, {
        code: "usage",
        hint: "e.g. --header Authorization:Bearer-xyz",
      });
    }
    lines.push(`${header.slice(0, colon).trim()}: ${header.slice(colon + 1).trim()}`);
  }
  await writeAll(conn, lines.join("\r\n") + "\r\n\r\n");
  const head = await readHead(conn, `Cannot ${action}`);
  const status = /^HTTP\/1\.[01] (\d{3})\s*(.*)$/.exec(head.start);
  if (!status) {
    throw new SockitError(
      `Cannot ${action}: the server did not answer HTTP (${
        JSON.stringify(head.start.slice(0, 60))
      })`,
      { code: "malformed" },
    );
  }
  if (status[1] !== "101") {
    const reason = status[2] ? ` ${status[2]}` : "";
    throw new SockitError(
      `Cannot ${action}: the server answered HTTP ${
        status[1]
      }${reason}, not 101 Switching Protocols`,
      { code: "refused" },
    );
  }
  const accept = head.headers.get("sec-websocket-accept");
  if (accept !== await acceptKey(key)) {
    throw new SockitError(
      `Cannot ${action}: the server's Sec-WebSocket-Accept ${
        JSON.stringify(accept ?? "")
      } does not match the key`,
      { code: "malformed" },
    );
  }
  const protocol = head.headers.get("sec-websocket-protocol");
  if (protocol !== undefined && !request.subprotocols?.includes(protocol)) {
    throw new SockitError(
      `Cannot ${action}: the server chose subprotocol "${protocol}", which was not offered`,
      { code: "malformed" },
    );
  }
  return { protocol, rest: head.rest };
}

/** What a finished server handshake learnt. */
export interface ServerHandshakeResult {
  /** The request target the client asked for. */
  path: string;
  /** The subprotocol chosen (the client's first offer), if any. */
  protocol?: string;
  /** Bytes that came after the client's head (early frames). */
  rest: Uint8Array;
}

/**
 * Reads a client's Upgrade request and answers 101, choosing the client's first subprotocol.
 * A request that is not a WebSocket upgrade gets 400, one for another `path` 404 (then this
 * throws, naming the socket as `action` says).
 */
export async function serverHandshake(
  conn: StreamTransport,
  options: { path?: string },
  action: string,
): Promise<ServerHandshakeResult> {
  const head = await readHead(conn, `Cannot ${action}`);
  const request = /^GET (\S+) HTTP\/1\.1$/.exec(head.start);
  const key = head.headers.get("sec-websocket-key");
  const upgrade = head.headers.get("upgrade")?.toLowerCase();
  const refuse = async (status: string, why: string): Promise<never> => {
    await writeAll(
      conn,
      `HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    ).catch(() => {});
    throw new SockitError(`Cannot ${action}: ${why}; answered HTTP ${status}`, {
      code: "malformed",
    });
  };
  if (!request || upgrade !== "websocket" || !key) {
    return refuse(
      "400 Bad Request",
      `not a WebSocket upgrade request (${JSON.stringify(head.start.slice(0, 60))})`,
    );
  }
  if (head.headers.get("sec-websocket-version") !== "13") {
    return refuse("426 Upgrade Required", "the client's Sec-WebSocket-Version is not 13");
  }
  const path = request[1];
  const wanted = options.path;
  if (wanted !== undefined && path.split("?")[0] !== wanted) {
    return refuse("404 Not Found", `the client asked for ${path}, not ${wanted}`);
  }
  const offered = head.headers.get("sec-websocket-protocol");
  const protocol = offered?.split(",").map((p) => p.trim()).find(Boolean);
  const lines = [
    "HTTP/1.1 101 Switching Protocols",
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Accept: ${await acceptKey(key)}`,
  ];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  await writeAll(conn, lines.join("\r\n") + "\r\n\r\n");
  return { path, protocol, rest: head.rest };
}
