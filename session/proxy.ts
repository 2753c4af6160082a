/**
 * The recording proxy (`sockit record --proxy LISTEN TARGET FILE`): listens, forwards every
 * connection to TARGET, and writes the conversation as a client script: `open` per
 * connection, `send` for what the client sent, `recv` with the bytes the server answered, a
 * recorded end of stream when the server hangs up, `close` when the client does. Replay it
 * against the real server with `sockit test`, or serve it with `sockit mock`.
 *
 * @example Recording a conversation through the proxy
 * ```ts
 * import { startProxy } from "./proxy.ts";
 * import assert from "node:assert/strict";
 *
 * // A server that answers "pong\n" to anything.
 * const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const serving = (async () => {
 *   const conn = await server.accept();
 *   await conn.read(new Uint8Array(64));
 *   await conn.write(new TextEncoder().encode("pong\n"));
 *   await conn.read(new Uint8Array(64)); // until the client closes
 *   conn.close();
 * })();
 * const file = await Deno.makeTempFile({ suffix: ".sockit" });
 * const proxy = await startProxy({ target: `127.0.0.1:${server.addr.port}`, file });
 * const [hostname, port] = proxy.address.split(":");
 * const client = await Deno.connect({ hostname, port: Number(port) });
 * await client.write(new TextEncoder().encode("ping\n"));
 * await client.read(new Uint8Array(64));
 * client.close();
 * await serving;
 * await proxy.close();
 * server.close();
 * const text = await Deno.readTextFile(file);
 * assert.match(text, /^send c1 "ping\\n"\n {2}sent 5 bytes to c1\nrecv c1\n {2}"pong\\n"\nclose c1$/m);
 * await Deno.remove(file);
 * ```
 *
 * @module
 */

import { formatHostPort, parseHostPort } from "../sockets/address.ts";
import { SockitError } from "../grammar/errors.ts";
import { END_OF_STREAM } from "../commands/reading.ts";
import { isText, quote, render } from "../grammar/render.ts";
import { VERSION } from "../version.ts";
import { formatStep } from "./recorder.ts";
import { escapeTemplate } from "./template.ts";
import { concat } from "./_private.ts";

/** Proxy settings. */
export interface ProxyOptions {
  /** Where to listen (default `127.0.0.1:0`). */
  listen?: string;
  /** The real server, `HOST:PORT`. */
  target: string;
  /** The script to write (rewritten as each connection ends, and on close). */
  file: string;
  /** Receives a line per connection opened and closed. */
  onLog?: (message: string) => void;
}

/** A running recording proxy. */
export interface RecordingProxy extends AsyncDisposable {
  /** The address clients connect to. */
  readonly address: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Stops listening, closes open connections and writes the script. */
  close(): Promise<void>;
}

type Event =
  | { conn: number; kind: "open" }
  | { conn: number; kind: "client" | "server"; bytes: Uint8Array }
  | { conn: number; kind: "client-close" | "server-close" };

/** A payload literal for bytes: a quoted string for text, `hex:` otherwise. */
function literal(bytes: Uint8Array): string {
  if (isText(bytes)) return quote(bytes);
  return "hex:" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The client script for the events recorded so far. */
export function proxyScript(events: Event[], target: string, header: string[]): string {
  let out = header.map((l) => `# ${l}`).join("\n") + "\n";
  const closed = new Set<number>();
  for (const e of events) {
    const name = `c${e.conn}`;
    if (closed.has(e.conn)) continue;
    switch (e.kind) {
      case "open":
        out += formatStep(`open tcp ${name} ${target}`, [
          `${name}  open  tcp \${${name}.local} → \${${name}.remote}`,
        ]);
        break;
      case "client":
        out += formatStep(escapeTemplate(`send ${name} ${literal(e.bytes)}`), [
          `sent ${e.bytes.length} bytes to ${name}`,
        ]);
        break;
      case "server":
        out += formatStep(`recv ${name}`, render(e.bytes).split("\n"));
        break;
      case "server-close":
        out += formatStep(`recv ${name}`, [
          `! Cannot recv from "${name}": ${END_OF_STREAM} (nothing buffered)`,
        ]);
        break;
      case "client-close":
        out += formatStep(`close ${name}`, [`closed ${name}`]);
        closed.add(e.conn);
        break;
    }
  }
  return out;
}

/** Starts a recording proxy. */
export async function startProxy(options: ProxyOptions): Promise<RecordingProxy> {
  const target = parseHostPort(options.target, "proxy to");
  const { host, port } = parseHostPort(options.listen ?? "127.0.0.1:0", "proxy");
  const listener = Deno.listen({ hostname: host, port, transport: "tcp" });
  const address = formatHostPort((listener.addr as Deno.NetAddr).hostname, listener.addr.port);
  const events: Event[] = [];
  const header = [
    `recorded by sockit ${VERSION} record --proxy ${address} ${options.target} on ${
      new Date().toISOString()
    }`,
    `replay against the server: sockit test FILE; stand in for it: sockit mock FILE`,
  ];
  let count = 0;
  const open = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  let saving = Promise.resolve();
  const save = () => {
    const text = proxyScript(events, options.target, header);
    saving = saving.then(() => Deno.writeTextFile(options.file, text));
    return saving;
  };
  const log = (conn: number, kind: "client" | "server", bytes: Uint8Array) => {
    const last = events.at(-1);
    if (last && last.conn === conn && last.kind === kind) last.bytes = concat([last.bytes, bytes]);
    else events.push({ conn, kind, bytes: bytes.slice() });
  };
  await save();

  const pipe = async (
    from: Deno.Conn,
    to: Deno.Conn,
    conn: number,
    kind: "client" | "server",
  ) => {
    const buf = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) break;
        log(conn, kind, buf.subarray(0, n));
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch { /* reset: treat as closed */ }
    events.push({ conn, kind: kind === "client" ? "client-close" : "server-close" });
    try {
      await to.closeWrite();
    } catch { /* already closed */ }
  };

  const loop = (async () => {
    for await (const client of listener) {
      const n = ++count;
      open.add(client);
      const task = (async () => {
        let server: Deno.Conn;
        try {
          server = await Deno.connect({ hostname: target.host, port: target.port });
        } catch (error) {
          options.onLog?.(
            `c${n}: cannot connect to ${options.target}: ${(error as Error).message}`,
          );
          client.close();
          return;
        }
        open.add(server);
        events.push({ conn: n, kind: "open" });
        options.onLog?.(`c${n}: ${formatAddr(client.remoteAddr)} → ${options.target}`);
        await Promise.all([pipe(client, server, n, "client"), pipe(server, client, n, "server")]);
        for (const c of [client, server]) {
          open.delete(c);
          try {
            c.close();
          } catch { /* closed */ }
        }
        options.onLog?.(`c${n}: closed`);
        await save();
      })();
      tasks.add(task);
      task.finally(() => tasks.delete(task));
    }
  })().catch((error) => {
    throw new SockitError(`proxy: ${(error as Error).message}`);
  });

  const close = async () => {
    try {
      listener.close();
    } catch { /* closed */ }
    await loop.catch(() => {});
    for (const c of open) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await Promise.all(tasks);
    await save();
  };
  return {
    address,
    get connections() {
      return count;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function formatAddr(addr: Deno.Addr): string {
  return addr.transport === "tcp" ? formatHostPort(addr.hostname, addr.port) : addr.transport;
}
