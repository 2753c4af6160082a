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
import { basename, dirname, resolve } from "node:path";
import { tcpListener } from "../sockets/bind.ts";
import { type Stage, throughStages } from "../sockets/relay_pipe.ts";
import { connectionControl, ToxicSet } from "../sockets/toxics/toxics.ts";
import { parseToxic } from "../sockets/toxics/parse.ts";

/**
 * Proxy settings.
 *
 * @example A proxy that logs each connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ProxyOptions, startProxy } from "./proxy.ts";
 * const file = await Deno.makeTempFile({ suffix: ".sockit" });
 * const logged: string[] = [];
 * const options: ProxyOptions = { target: "127.0.0.1:1", file, onLog: (m) => logged.push(m) };
 * const proxy = await startProxy(options);
 * await proxy.close();
 * assert.equal(proxy.connections, 0);
 * await Deno.remove(file);
 * ```
 */
export interface ProxyOptions {
  /** Where to listen (default `127.0.0.1:0`). */
  listen?: string;
  /** The real server, `HOST:PORT`. */
  target: string;
  /** The script to write (rewritten as each connection ends, and on close). */
  file: string;
  /** Receives a line per connection opened and closed. */
  onLog?: (message: string) => void;
  /**
   * Toxics every connection passes through (`record --proxy … --toxic 'latency 100ms'`): the
   * recording holds what each side sent, the peers get it through the toxics. Here the client
   * side is a Deno connection, so `reset_peer` closes it (no RST). Each toxic as written.
   */
  toxics?: readonly string[];
  /** Sees both sides of connection `n` before bytes move (`--log`; it may replace methods). */
  watch?: (n: number, client: Deno.Conn, server: Deno.Conn) => void;
}

/**
 * A running recording proxy.
 *
 * @example A running proxy listens on a free port by default
 * ```ts
 * import assert from "node:assert/strict";
 * import { type RecordingProxy, startProxy } from "./proxy.ts";
 * const file = await Deno.makeTempFile({ suffix: ".sockit" });
 * const proxy: RecordingProxy = await startProxy({ target: "127.0.0.1:1", file });
 * assert.match(proxy.address, /^127\.0\.0\.1:\d+$/);
 * await proxy.close();
 * await Deno.remove(file);
 * ```
 */
export interface RecordingProxy extends AsyncDisposable {
  /** The address clients connect to. */
  readonly address: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Stops listening, closes open connections and writes the script. */
  close(): Promise<void>;
}

/** Bytes of one step kept in memory before they go to a side file (client) or a new step. */
const INLINE_MAX = 64 * 1024;

/** A payload literal for bytes: a quoted string for text, `hex:` otherwise. */
function literal(bytes: Uint8Array): string {
  if (isText(bytes)) return quote(bytes);
  return "hex:" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The step being recorded: one connection's bytes in one direction, until something else. */
interface OpenStep {
  conn: number;
  kind: "client" | "server";
  chunks: Uint8Array[];
  size: number;
  /** Client bytes past INLINE_MAX go to this side file, sent as `@${dir}/NAME`. */
  side?: { file: Deno.FsFile; name: string };
}

/**
 * Writes the recording as it goes, in bounded memory: each step is appended to the script once
 * the conversation moves on. Bytes beyond {@linkcode INLINE_MAX} in one step stream into a side
 * file next to the script (`FILE.cN-K-sent.bin`, sent as `send cN @${dir}/…`;
 * `FILE.cN-K-received.bin`, observed as `recv cN` / `  @${dir}/…`). Calls are serialized.
 */
class ScriptWriter {
  #file: Deno.FsFile;
  #path: string;
  #target: string;
  #open?: OpenStep;
  #sides = 0;
  #closed = new Set<number>();
  #queue: Promise<void> = Promise.resolve();
  #encoder = new TextEncoder();

  private constructor(file: Deno.FsFile, path: string, target: string) {
    this.#file = file;
    this.#path = path;
    this.#target = target;
  }

  /** Creates (truncates) the script and writes its header. */
  static async create(path: string, target: string, header: string[]): Promise<ScriptWriter> {
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    const writer = new ScriptWriter(file, path, target);
    await writer.#write(header.map((l) => `# ${l}`).join("\n") + "\n");
    return writer;
  }

  /** Records bytes one side sent; resolves once they are stored (copied or written). */
  bytes(conn: number, kind: "client" | "server", bytes: Uint8Array): Promise<void> {
    return this.#serial(async () => {
      const open = this.#open;
      if (!open || open.conn !== conn || open.kind !== kind) {
        await this.#flush();
        this.#open = { conn, kind, chunks: [], size: 0 };
      }
      const step = this.#open!;
      if (!step.side && step.size + bytes.length > INLINE_MAX) {
        const side = kind === "client" ? "sent" : "received";
        const name = `${basename(this.#path)}.c${conn}-${++this.#sides}-${side}.bin`;
        const file = await Deno.open(resolve(dirname(this.#path), name), {
          write: true,
          create: true,
          truncate: true,
        });
        step.side = { file, name };
        for (const chunk of step.chunks) await writeAll(file, chunk);
        step.chunks = [];
      }
      if (step.side) await writeAll(step.side.file, bytes);
      else step.chunks.push(bytes.slice());
      step.size += bytes.length;
    });
  }

  /** Records a connection opening, or one side closing. */
  event(conn: number, kind: "open" | "client-close" | "server-close"): Promise<void> {
    return this.#serial(async () => {
      await this.#flush();
      if (this.#closed.has(conn)) return;
      const name = `c${conn}`;
      if (kind === "open") {
        await this.#write(formatStep(`open tcp ${name} ${this.#target}`, [
          `${name}  open  tcp \${${name}.local} → \${${name}.remote}`,
        ]));
      } else if (kind === "server-close") {
        await this.#write(formatStep(`recv ${name}`, [
          `! Cannot recv from "${name}": ${END_OF_STREAM} (nothing buffered)`,
        ]));
      } else {
        await this.#write(formatStep(`close ${name}`, [`closed ${name}`]));
        this.#closed.add(conn);
      }
    });
  }

  /** Writes the open step and closes the script. */
  close(): Promise<void> {
    return this.#serial(async () => {
      await this.#flush();
      this.#file.close();
    });
  }

  async #flush(): Promise<void> {
    const step = this.#open;
    this.#open = undefined;
    if (!step || this.#closed.has(step.conn)) {
      step?.side?.file.close();
      return;
    }
    const name = `c${step.conn}`;
    if (step.kind === "server") {
      step.side?.file.close();
      const observed = step.side
        ? [`@\${dir}/${step.side.name}`]
        : render(concat(step.chunks)).split("\n");
      await this.#write(formatStep(`recv ${name}`, observed));
      return;
    }
    const payload = step.side
      ? `@\${dir}/${step.side.name}`
      : escapeTemplate(literal(concat(step.chunks)));
    step.side?.file.close();
    await this.#write(
      formatStep(`send ${name} ${payload}`, [`sent ${step.size} bytes to ${name}`]),
    );
  }

  #write(text: string): Promise<void> {
    return writeAll(this.#file, this.#encoder.encode(text));
  }

  #serial(fn: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(fn);
    this.#queue = run.catch(() => {});
    return run;
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await file.write(bytes.subarray(off));
}

/**
 * Starts a recording proxy.
 *
 * @example Recording a client talking to an echo server
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import { startProxy } from "./proxy.ts";
 * await using shell = new Shell();
 * const echo = await shell.execute("serve echo tcp e :0");
 * if (echo.kind !== "socket") throw new Error("no echo server");
 * const file = await Deno.makeTempFile({ suffix: ".sockit" });
 * const proxy = await startProxy({ target: echo.info.local, file });
 * const [hostname, port] = proxy.address.split(":");
 * const conn = await Deno.connect({ hostname, port: Number(port) });
 * await conn.write(new TextEncoder().encode("hi\n"));
 * const buf = new Uint8Array(16);
 * assert.equal(await conn.read(buf), 3);
 * conn.close();
 * await proxy.close();
 * assert.equal(proxy.connections, 1);
 * assert.match(await Deno.readTextFile(file), /"hi\\n"/);
 * await Deno.remove(file);
 * ```
 */
export async function startProxy(options: ProxyOptions): Promise<RecordingProxy> {
  const target = parseHostPort(options.target, "proxy to");
  let toxics: ToxicSet | undefined;
  for (const text of options.toxics ?? []) {
    (toxics ??= new ToxicSet()).add(parseToxic(text, "record --toxic"), "record --toxic");
  }
  // The one way to listen (backlog, address errors), as the shell's listen does.
  const listener = tcpListener(options.listen ?? "127.0.0.1:0", {
    verb: "record through a proxy on",
    name: options.listen ?? "127.0.0.1:0",
  });
  const address = formatHostPort((listener.addr as Deno.NetAddr).hostname, listener.addr.port);
  const header = [
    `recorded by sockit ${VERSION} record --proxy ${address} ${options.target} on ${
      new Date().toISOString()
    }`,
    `replay against the server: sockit test FILE; stand in for it: sockit mock FILE`,
  ];
  let count = 0;
  const open = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const endings = new Set<AbortController>();
  const writer = await ScriptWriter.create(options.file, options.target, header);

  const pipe = async (
    from: Deno.Conn,
    to: Deno.Conn,
    conn: number,
    kind: "client" | "server",
    stages: Stage[],
  ) => {
    const { forward: onward, finish } = throughStages(to, stages, () => {});
    // Two buffers: while one chunk is forwarded and recorded, the next read fills the other.
    const bufs = [new Uint8Array(256 * 1024), new Uint8Array(256 * 1024)];
    let turn = 0;
    let pending: Promise<unknown> = Promise.resolve();
    try {
      while (true) {
        const buf = bufs[turn ^= 1];
        const n = await from.read(buf);
        await pending;
        if (n === null) break;
        const chunk = buf.subarray(0, n);
        const forward = onward(chunk);
        pending = Promise.all([forward, writer.bytes(conn, kind, chunk)]);
        // The write must finish before this buffer is read into again (two reads from now).
        await forward;
      }
    } catch { /* reset: treat as closed */ }
    await pending.catch(() => {});
    await writer.event(conn, kind === "client" ? "client-close" : "server-close");
    try {
      await finish();
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
        options.watch?.(n, client, server);
        await writer.event(n, "open");
        options.onLog?.(`c${n}: ${formatAddr(client.remoteAddr)} → ${options.target}`);
        const ended = new AbortController();
        endings.add(ended);
        const control = connectionControl(client, server, {
          ended,
          why: (text) => options.onLog?.(`c${n}: ${text}`),
          cut: () => {},
        });
        const stages = (direction: "up" | "down") => toxics?.stages(n, direction, control) ?? [];
        await Promise.all([
          pipe(client, server, n, "client", stages("up")),
          pipe(server, client, n, "server", stages("down")),
        ]);
        control.finish();
        endings.delete(ended);
        for (const c of [client, server]) {
          open.delete(c);
          try {
            c.close();
          } catch { /* closed */ }
        }
        options.onLog?.(`c${n}: closed`);
      })();
      tasks.add(task);
      task.finally(() => tasks.delete(task));
    }
  })().catch((error) => {
    throw new SockitError(`proxy: ${(error as Error).message}`);
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      try {
        listener.close();
      } catch { /* closed */ }
      await loop.catch(() => {});
      for (const c of open) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      for (const ended of endings) ended.abort();
      await Promise.all(tasks);
      await writer.close();
    })();
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
