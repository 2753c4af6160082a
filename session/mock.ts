/**
 * The mock: serves the server side of a client recording. Each socket the script `open`s is one
 * recorded conversation: the bytes it sent are what the mock waits for, the bytes it received
 * are what the mock answers, in order; `close`/`shutdown` is the client hanging up, and a
 * recorded end of stream is the server hanging up. Connection N gets conversation N (cycling
 * when there are more connections than conversations). When a real client deviates, the mock
 * says where, with expected vs actual, and drops the connection.
 *
 * @example Serving a recording to a client
 * ```ts
 * import { parseScript } from "./parse.ts";
 * import { startMock } from "./mock.ts";
 * import assert from "node:assert/strict";
 *
 * const script = parseScript([
 *   "open tcp c1 127.0.0.1:6379",
 *   'send c1 "PING\\r\\n"',
 *   "recv c1",
 *   '  "+PONG\\r\\n"',
 *   "close c1",
 * ].join("\n"), "ping.sockit");
 * await using mock = startMock(script);
 * const [hostname, port] = mock.address.split(":");
 * const conn = await Deno.connect({ hostname, port: Number(port) });
 * await conn.write(new TextEncoder().encode("PING\r\n"));
 * const buf = new Uint8Array(16);
 * const n = await conn.read(buf);
 * assert.equal(new TextDecoder().decode(buf.subarray(0, n!)), "+PONG\r\n");
 * conn.close();
 * ```
 *
 * @module
 */

import { parseArgs } from "../commands/_args.ts";
import { COMMANDS } from "../commands/mod.ts";
import { preview } from "../commands/_sockets.ts";
import { formatDuration } from "../commands/_sockets.ts";
import { parseHostPort } from "../sockets/address.ts";
import { ReceiveBuffer } from "../sockets/receive_buffer.ts";
import { parsePayload, payloadBytes } from "../shell/payload.ts";
import { tokenize } from "../shell/tokenize.ts";
import type { Script } from "./format.ts";
import { concat, READ_COMMANDS, ScriptError } from "./_private.ts";

/** One turn of a conversation, from the script line that recorded it. */
export type Exchange =
  /** The client sent these bytes. */
  | { line: number; from: "client"; bytes: Uint8Array }
  /** The server answered these bytes. */
  | { line: number; from: "server"; bytes: Uint8Array }
  /** The client closed (or shut down) its side. */
  | { line: number; from: "client-close" }
  /** The server closed its side (the client saw end of stream). */
  | { line: number; from: "server-close" };

/** One recorded client connection. */
export interface Conversation {
  /** The socket name in the script, e.g. `c1`. */
  socket: string;
  /** The line of its `open`. */
  line: number;
  /** What the client sent and the server answered, in order. */
  exchanges: Exchange[];
}

const commandMap = new Map(COMMANDS.map((c) => [c.name, c]));

/**
 * The conversations of a client recording, in the order their sockets were opened. Throws a
 * {@linkcode ScriptError} for what a mock cannot serve (a received-bytes `/REGEX/`, a `recv`
 * without observation, a payload with variables).
 */
export async function conversations(script: Script): Promise<Conversation[]> {
  const byName = new Map<string, Conversation>();
  const all: Conversation[] = [];
  for (const step of script.steps) {
    const fail = (reason: string, hint?: string): never => {
      throw new ScriptError(script.file, step.line, step.column, reason, hint);
    };
    const [head, ...rest] = tokenize(step.command);
    const args = parseArgs(commandMap.get(head.text) ?? COMMANDS[0], rest, step.command);
    const target = args.positional[0]?.text;
    if (step.name === "open" && args.positional[1]) {
      if (args.positional[0].text !== "tcp") {
        fail(
          `the mock serves tcp connections; "${args.positional[1].text}" is ${
            args.positional[0].text
          }`,
          "record a tcp session to mock it",
        );
      }
      const c: Conversation = { socket: args.positional[1].text, line: step.line, exchanges: [] };
      byName.set(c.socket, c);
      all.push(c);
      continue;
    }
    const conversation = target === undefined ? undefined : byName.get(target);
    if (!conversation || step.expect?.kind === "error" && !READ_COMMANDS.has(step.name)) continue;
    const add = (e: Exchange) => {
      const last = conversation.exchanges.at(-1);
      if (last && last.from === e.from && "bytes" in last && "bytes" in e) {
        last.bytes = concat([last.bytes, e.bytes]);
      } else conversation.exchanges.push(e);
    };
    if (step.name === "send" || step.name === "sendline") {
      if (step.command.includes("${")) {
        fail("the mock cannot send a payload that uses variables", "write the bytes literally");
      }
      const parts = parsePayload(args.positional.slice(1));
      if (step.name === "sendline") {
        parts.push({
          kind: "bytes",
          bytes: new TextEncoder().encode(args.options.crlf ? "\r\n" : "\n"),
        });
      }
      add({ line: step.line, from: "client", bytes: await payloadBytes(parts) });
    } else if (READ_COMMANDS.has(step.name)) {
      const expect = step.expect;
      if (expect?.kind === "data") add({ line: step.line, from: "server", bytes: expect.bytes });
      else if (expect?.kind === "error") {
        if (/end of stream/.test(expect.template.source)) {
          add({ line: step.line, from: "server-close" });
        }
      } else if (expect?.kind === "regex") {
        fail("the mock cannot answer a /REGEX/ observation", "record the exact bytes instead");
      } else fail(`${step.name} without an observation: the mock does not know what to answer`);
    } else if (step.name === "close" || step.name === "shutdown") {
      add({ line: step.line, from: "client-close" });
    }
  }
  if (all.length === 0) {
    throw new ScriptError(
      script.file,
      1,
      1,
      "no client connections to mock",
      "the mock serves what `open`ed sockets sent and received",
    );
  }
  return all;
}

/** Mock settings; all optional. */
export interface MockOptions {
  /** Where to listen (default `127.0.0.1:0`, a free port). */
  listen?: string;
  /** How long to wait for the client's next bytes, in ms (default 10 000). */
  timeout?: number;
  /** Receives each deviation, one line (default: kept in `diagnostics` only). */
  onDiagnostic?: (message: string) => void;
  /** Receives a line per connection served (default: nothing). */
  onLog?: (message: string) => void;
}

/** A running mock; `await using` closes it. */
export interface MockServer extends AsyncDisposable {
  /** The address it listens on, e.g. `127.0.0.1:40211`. */
  readonly address: string;
  /** Every deviation reported so far. */
  readonly diagnostics: string[];
  /** Connections served to the end of their conversation. */
  readonly completed: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Starts serving a recording's conversations. Resolves the conversations first, so a script
 * the mock cannot serve fails here.
 */
export function startMock(
  script: Script,
  options: MockOptions = {},
): MockServer & { ready: Promise<void> } {
  const { host, port } = parseHostPort(options.listen ?? "127.0.0.1:0", "mock");
  const listener = Deno.listen({ hostname: host, port, transport: "tcp" });
  const timeout = options.timeout ?? 10_000;
  const diagnostics: string[] = [];
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  let completed = 0;
  let count = 0;
  const ready = conversations(script);
  ready.catch(() => {});
  const report = (message: string) => {
    diagnostics.push(message);
    options.onDiagnostic?.(message);
  };
  const loop = (async () => {
    const list = await ready.catch((error) => {
      listener.close();
      throw error;
    });
    for await (const conn of listener) {
      const n = ++count;
      const conversation = list[(n - 1) % list.length];
      conns.add(conn);
      const task = serve(conn, n, conversation, script.file, timeout, report)
        .then((ok) => {
          if (ok) {
            completed++;
            options.onLog?.(`connection ${n} (${conversation.socket}): played to the end`);
          }
        })
        .finally(() => {
          conns.delete(conn);
          tasks.delete(task);
        });
      tasks.add(task);
    }
  })().catch(() => {});
  const addr = listener.addr as Deno.NetAddr;
  const close = async () => {
    try {
      listener.close();
    } catch { /* closed */ }
    for (const c of conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await loop;
    await Promise.all(tasks);
  };
  return {
    address: addr.hostname.includes(":")
      ? `[${addr.hostname}]:${addr.port}`
      : `${addr.hostname}:${addr.port}`,
    diagnostics,
    get completed() {
      return completed;
    },
    ready: ready.then(() => {}),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Plays one conversation on one connection; resolves true when it ran to the end. */
async function serve(
  conn: Deno.Conn,
  n: number,
  conversation: Conversation,
  file: string,
  timeout: number,
  report: (message: string) => void,
): Promise<boolean> {
  const buffer = new ReceiveBuffer();
  let expected: Uint8Array | undefined;
  let diverged = new AbortController();
  const check = () => {
    if (!expected) return;
    const have = buffer.peek();
    for (let i = 0; i < Math.min(have.length, expected.length); i++) {
      if (have[i] !== expected[i]) return diverged.abort();
    }
  };
  const pump = (async () => {
    const chunk = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const got = await conn.read(chunk);
        if (got === null) break;
        buffer.push(chunk.subarray(0, got));
        check();
      }
    } catch { /* reset or closed */ }
    buffer.end();
  })();
  const who = `${file}:%LINE%: connection ${n} (recorded as ${conversation.socket})`;
  const at = (line: number) => who.replace("%LINE%", String(line));
  let ok = true;
  try {
    for (const e of conversation.exchanges) {
      if (e.from === "server") {
        await conn.write(e.bytes);
      } else if (e.from === "server-close") {
        await conn.closeWrite();
      } else if (e.from === "client") {
        expected = e.bytes;
        diverged = new AbortController();
        check();
        const read = await buffer.recvExact(e.bytes.length, { timeout, signal: diverged.signal });
        expected = undefined;
        if (read.status === "ok") continue;
        const got = read.data.length === 0 ? "nothing" : preview(read.data, 60);
        const why = read.status === "cancelled"
          ? "the client sent different bytes"
          : read.status === "timeout"
          ? `the client sent nothing more for ${formatDuration(timeout)}`
          : "the client closed the connection";
        report(`${at(e.line)}: ${why}; expected ${preview(e.bytes, 60)}, got ${got}`);
        ok = false;
        break;
      } else {
        const read = await buffer.recv(1 << 16, { timeout });
        if (read.status === "eof") continue;
        const what = read.status === "ok"
          ? `sent more bytes than recorded: ${preview(read.data, 60)}`
          : `did not close the connection within ${formatDuration(timeout)}`;
        report(`${at(e.line)}: the client ${what}`);
        ok = false;
        break;
      }
    }
  } catch (error) {
    report(`${at(conversation.line)}: ${(error as Error).message}`);
    ok = false;
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
    await pump;
  }
  return ok;
}
