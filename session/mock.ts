/**
 * The mock: serves the server side of a client recording. Each socket the script `open`s is one
 * recorded conversation: the bytes it sent are what the mock waits for, the bytes it received
 * are what the mock answers, in order; `close`/`shutdown` is the client hanging up, and a
 * recorded end of stream is the server hanging up. Connection N gets conversation N (cycling
 * when there are more connections than conversations). When a real client deviates, the mock
 * says where, with expected vs actual, and drops the connection. A script of `open udp` sockets
 * is served on UDP instead, datagram by datagram (see `mock_udp.ts`).
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

import { parseArgs } from "../commands/args.ts";
import { COMMANDS } from "../commands/mod.ts";
import { formatDuration } from "../grammar/duration.ts";
import { preview } from "../grammar/render.ts";
import { formatAddr, parseHostPort } from "../sockets/address.ts";
import { ReceiveBuffer } from "../sockets/receive_buffer.ts";
import { parsePayload, payloadBytes } from "../grammar/payload.ts";
import { tokenize } from "../grammar/tokenize.ts";
import type { Script, Step } from "./format.ts";
import { concat, READ_COMMANDS, ScriptError } from "./_private.ts";
import { serveDatagrams } from "./mock_udp.ts";

/** One turn of a conversation, from the script line that recorded it. */
export type Exchange =
  /** The client sent these bytes (over udp: this one datagram). */
  | { line: number; from: "client"; bytes: Uint8Array }
  /** The server answered these bytes (over udp: this one datagram). */
  | { line: number; from: "server"; bytes: Uint8Array }
  /** The client closed (or shut down) its side. */
  | { line: number; from: "client-close" }
  /** The server closed its side (the client saw end of stream). */
  | { line: number; from: "server-close" };

/** The transports the mock serves. */
export type MockTransport = "tcp" | "udp";

/** One recorded client connection (tcp) or client socket (udp). */
export interface Conversation {
  /** The socket name in the script, e.g. `c1`. */
  socket: string;
  /** How it was opened. */
  transport: MockTransport;
  /** The line of its `open`. */
  line: number;
  /** What the client sent and the server answered, in order. */
  exchanges: Exchange[];
}

const commandMap = new Map(COMMANDS.map((c) => [c.name, c]));

/** A step's command parsed into its options and positional arguments. */
function argsOf(step: Step) {
  const [head, ...rest] = tokenize(step.command);
  return parseArgs(commandMap.get(head.text) ?? COMMANDS[0], rest, step.command);
}

/** What the mock listens on: the transport of the script's first `open` (tcp when none). */
function transportOf(script: Script): MockTransport {
  const open = script.steps.find((step) => step.name === "open");
  return open && argsOf(open).positional[0]?.text === "udp" ? "udp" : "tcp";
}

/**
 * The conversations of a client recording, in the order their sockets were opened. Throws a
 * {@linkcode ScriptError} for what a mock cannot serve (a transport other than tcp or udp, both
 * in one script, a udp socket that receives before it sends, a received-bytes `/REGEX/`, a
 * `recv` without observation, a payload with variables).
 */
export async function conversations(script: Script): Promise<Conversation[]> {
  const byName = new Map<string, Conversation>();
  const all: Conversation[] = [];
  for (const step of script.steps) {
    const fail = (reason: string, hint?: string): never => {
      throw new ScriptError(script.file, step.line, step.column, reason, hint);
    };
    const args = argsOf(step);
    const target = args.positional[0]?.text;
    if (step.name === "open" && args.positional[1]) {
      const transport = args.positional[0].text;
      if (transport !== "tcp" && transport !== "udp") {
        return fail(
          `the mock serves tcp and udp sockets; "${args.positional[1].text}" is ${transport}`,
          "record a tcp or udp session to mock it",
        );
      }
      if (all.length > 0 && all[0].transport !== transport) {
        fail(
          "the mock serves one transport; this script opens tcp and udp",
          "mock each transport from a script of its own",
        );
      }
      const c: Conversation = {
        socket: args.positional[1].text,
        transport,
        line: step.line,
        exchanges: [],
      };
      byName.set(c.socket, c);
      all.push(c);
      continue;
    }
    const conversation = target === undefined ? undefined : byName.get(target);
    if (!conversation || step.expect?.kind === "error" && !READ_COMMANDS.has(step.name)) continue;
    const datagrams = conversation.transport === "udp";
    const add = (e: Exchange) => {
      const last = conversation.exchanges.at(-1);
      if (datagrams && !last && e.from === "server") {
        fail(
          "a UDP mock can only answer: the client must send first",
          `"${conversation.socket}" receives before it sends`,
        );
      }
      if (!datagrams && last && last.from === e.from && "bytes" in last && "bytes" in e) {
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
    } else if ((step.name === "close" || step.name === "shutdown") && !datagrams) {
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
  /** How long to wait for the client's next bytes or datagram, in ms (default 10 000). */
  timeout?: number;
  /** Receives each deviation, one line (default: kept in `diagnostics` only). */
  onDiagnostic?: (message: string) => void;
  /** Receives a line per connection or UDP peer served (default: nothing). */
  onLog?: (message: string) => void;
}

/** A running mock; `await using` closes it. */
export interface MockServer extends AsyncDisposable {
  /** The address it listens on, e.g. `127.0.0.1:40211`. */
  readonly address: string;
  /** What it listens on: tcp, or udp for a script of `open udp` sockets. */
  readonly transport: MockTransport;
  /** Every deviation reported so far. */
  readonly diagnostics: string[];
  /** Connections (or UDP peers) served to the end of their conversation. */
  readonly completed: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * What a transport's serving loop shares with {@linkcode startMock}. A client is named by `who`,
 * e.g. `connection 3` or `peer 2`.
 */
export interface MockPlay {
  /** How long to wait for the client's next bytes or datagram, in ms. */
  timeout: number;
  /** The conversation client number `n` (from 1) gets: they take turns, cycling. */
  conversation(n: number): Conversation;
  /** Reports a deviation at a line of the client's conversation. */
  deviation(line: number, who: string, conversation: Conversation, message: string): void;
  /** Counts a conversation played to the end. */
  done(who: string, conversation: Conversation): void;
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
  const transport = transportOf(script);
  let socket: Deno.Listener | Deno.DatagramConn;
  let serve: (play: MockPlay) => Promise<void>;
  if (transport === "udp") {
    const conn = Deno.listenDatagram({ hostname: host, port, transport: "udp" });
    [socket, serve] = [conn, (play) => serveDatagrams(conn, play)];
  } else {
    const listener = Deno.listen({ hostname: host, port, transport: "tcp" });
    [socket, serve] = [listener, (play) => serveConnections(listener, play)];
  }
  const diagnostics: string[] = [];
  let completed = 0;
  const ready = conversations(script);
  ready.catch(() => {});
  const loop = (async () => {
    const list = await ready.catch((error) => {
      socket.close();
      throw error;
    });
    await serve({
      timeout: options.timeout ?? 10_000,
      conversation: (n) => list[(n - 1) % list.length],
      deviation(line, who, conversation, message) {
        const diagnostic =
          `${script.file}:${line}: ${who} (recorded as ${conversation.socket}): ${message}`;
        diagnostics.push(diagnostic);
        options.onDiagnostic?.(diagnostic);
      },
      done(who, conversation) {
        completed++;
        options.onLog?.(`${who} (${conversation.socket}): played to the end`);
      },
    });
  })().catch(() => {});
  const close = async () => {
    try {
      socket.close();
    } catch { /* closed */ }
    await loop;
  };
  return {
    address: formatAddr(socket.addr),
    transport,
    diagnostics,
    get completed() {
      return completed;
    },
    ready: ready.then(() => {}),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Serves each accepted connection its conversation until the listener closes, then drops them. */
async function serveConnections(listener: Deno.Listener, play: MockPlay): Promise<void> {
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  let count = 0;
  try {
    for await (const conn of listener) {
      const who = `connection ${++count}`;
      const conversation = play.conversation(count);
      conns.add(conn);
      const task = serve(conn, who, conversation, play)
        .then((ok) => {
          if (ok) play.done(who, conversation);
        })
        .finally(() => {
          conns.delete(conn);
          tasks.delete(task);
        });
      tasks.add(task);
    }
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await Promise.all(tasks);
  }
}

/** Plays one conversation on one connection; resolves true when it ran to the end. */
async function serve(
  conn: Deno.Conn,
  who: string,
  conversation: Conversation,
  play: MockPlay,
): Promise<boolean> {
  const { timeout } = play;
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
  const report = (line: number, message: string) =>
    play.deviation(line, who, conversation, message);
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
        report(e.line, `${why}; expected ${preview(e.bytes, 60)}, got ${got}`);
        ok = false;
        break;
      } else {
        const read = await buffer.recv(1 << 16, { timeout });
        if (read.status === "eof") continue;
        const what = read.status === "ok"
          ? `sent more bytes than recorded: ${preview(read.data, 60)}`
          : `did not close the connection within ${formatDuration(timeout)}`;
        report(e.line, `the client ${what}`);
        ok = false;
        break;
      }
    }
  } catch (error) {
    report(conversation.line, (error as Error).message);
    ok = false;
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
    await pump;
  }
  return ok;
}
