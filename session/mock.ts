/**
 * The mock: serves the server side of a client recording. Each socket the script `open`s is one
 * recorded conversation: the bytes it sent are what the mock expects, the bytes it received
 * are what the mock answers, in order; `close`/`shutdown` is the client hanging up, and a
 * recorded end of stream is the server hanging up. Connection N gets conversation N (cycling
 * when there are more connections than conversations). A script of `open udp` sockets is served
 * on UDP, datagram by datagram: each client address is a peer with a conversation of its own,
 * forgotten when it ends, deviates or is quiet for the timeout. A script of `open ws` sockets is
 * served as WebSocket (`listen ws`, or `wss` with a certificate): each recorded message is one
 * message of the kind recorded (` (binary)`, or `send --binary`; else text), a client message of
 * the other kind is a deviation, and a recorded end of stream is a close handshake.
 *
 * The mock is a {@linkcode Shell}: it listens with `listen`, and plays each conversation with
 * the shell's commands on the accepted socket. Every byte a client sends is checked against the
 * recording **before** the recorded answer goes out, with the same replay-mode `recv` that
 * `sockit test` uses: the first differing byte ends the conversation. A deviating client gets
 * no recorded answer for that step; the mock reports `file:line` with expected vs actual,
 * closes that connection and keeps serving the others. Which steps mean what comes from the
 * commands' `script` declarations, so a command added with `commands` is mocked too.
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
 * await using mock = await startMock(script);
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

import { END_OF_STREAM, ExpectedReadError } from "../commands/reading.ts";
import type { Command } from "../commands/types.ts";
import { formatDuration } from "../grammar/duration.ts";
import { errorCode } from "../grammar/errors.ts";
import { preview } from "../grammar/render.ts";
import { parsePayload, payloadBytes } from "../grammar/payload.ts";
import { type Framer, framer } from "../protocols/framing.ts";
import type { SocketRegistry } from "../sockets/registry.ts";
import { Shell } from "../shell/shell.ts";
import type { Script } from "./format.ts";
import { claimedKind, concat, errorMessage, ScriptError } from "./_private.ts";
import { checkPath } from "./policy.ts";
import { substitute } from "./template.ts";
import { dirname, resolve } from "node:path";

/**
 * One turn of a conversation, from the script line that recorded it.
 *
 * @example The turns of a recorded conversation
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { conversations, type Exchange } from "./mock.ts";
 * const script = parseScript('open tcp c 127.0.0.1:6379\nsend c "PING\\r\\n"\nrecv c\n  "+PONG\\r\\n"\n');
 * const [conversation] = await conversations(script);
 * const first: Exchange = conversation.exchanges[0];
 * assert.equal(first.from, "client");
 * assert.equal(first.from === "client" && new TextDecoder().decode(first.bytes), "PING\r\n");
 * ```
 */
export type Exchange =
  /**
   * The client sent these bytes (over udp: this one datagram), framing included. `secret`: some
   * came from `@file`s, which diagnostics never show (only a length and a hash).
   */
  | { line: number; from: "client"; bytes: Uint8Array; secret?: Secret; binary?: boolean }
  /**
   * The server answered these bytes (over udp: this one datagram), framing included. `binary`:
   * over ws, a binary message (else text).
   */
  | { line: number; from: "server"; bytes: Uint8Array; binary?: boolean }
  /** The client closed (or shut down) its side. */
  | { line: number; from: "client-close" }
  /** The server closed its side (the client saw end of stream). */
  | { line: number; from: "server-close" };

/**
 * What diagnostics show of expected bytes read from `@file`s: the files, and a hash.
 *
 * @example Bytes from a file are expected without being shown
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { conversations, type Secret } from "./mock.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/token.txt`, "s3cret");
 * const script = parseScript(`open tcp c 127.0.0.1:6379\nsend c @${dir}/token.txt\n`, `${dir}/x.sockit`);
 * const [conversation] = await conversations(script);
 * const sent = conversation.exchanges[0];
 * const secret: Secret | undefined = sent.from === "client" ? sent.secret : undefined;
 * assert.equal(secret?.sha256.length, 64);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export interface Secret {
  /** The files, as the recording names them. */
  files: string[];
  /** The sha256 of all the expected bytes of the step, in hex. */
  sha256: string;
}

/**
 * How the mock plays a conversation (ws: message by message, like udp, over a connection; a
 * recorded `open wss` is a ws conversation too).
 *
 * @example A recording of udp sockets is served on udp
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { conversations, type MockTransport } from "./mock.ts";
 * const script = parseScript('open udp c 127.0.0.1:5353\nsend c "hi"\n');
 * const transport: MockTransport = (await conversations(script))[0].transport;
 * assert.equal(transport, "udp");
 * ```
 */
export type MockTransport = "tcp" | "udp" | "ws";

/**
 * One recorded client connection (tcp) or client socket (udp).
 *
 * @example One recorded client socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { type Conversation, conversations } from "./mock.ts";
 * const script = parseScript('open tcp c1 127.0.0.1:1\nsend c1 "a"\nopen tcp c2 127.0.0.1:1\nsend c2 "b"\n');
 * const list: Conversation[] = await conversations(script);
 * assert.deepEqual(list.map((c) => [c.socket, c.line]), [["c1", 1], ["c2", 3]]);
 * ```
 */
export interface Conversation {
  /** The socket name in the script, e.g. `c1`. */
  socket: string;
  /** How it was opened. */
  transport: MockTransport;
  /** Opened as `wss`: the mock serves it over TLS (`--cert`/`--key`). */
  secure?: boolean;
  /** The line of its `open`. */
  line: number;
  /** What the client sent and the server answered, in order. */
  exchanges: Exchange[];
}

/**
 * The conversations of a client recording, in the order their sockets were opened. Throws a
 * {@linkcode ScriptError} for what a mock cannot serve (a transport other than tcp or udp, both
 * in one script, a udp socket that receives before it sends, a received-bytes `/REGEX/`, a
 * read without observation, a payload with variables).
 *
 * @example The turns of a recorded client connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { conversations } from "./mock.ts";
 * const script = parseScript([
 *   "open tcp c1 127.0.0.1:6379",
 *   'send c1 "PING\\r\\n"',
 *   "recv c1",
 *   '  "+PONG\\r\\n"',
 *   "close c1",
 * ].join("\n"), "ping.sockit");
 * const [c1] = await conversations(script);
 * assert.equal(c1.socket, "c1");
 * assert.equal(c1.transport, "tcp");
 * assert.deepEqual(c1.exchanges.map((e) => e.from), ["client", "server", "client-close"]);
 * ```
 */
export async function conversations(
  script: Script,
  options: { allowRead?: string[] } = {},
): Promise<Conversation[]> {
  const roots = [dirname(resolve(script.file)), ...(options.allowRead ?? [])];
  const secrets = new Map<Exchange, string[]>();
  const byName = new Map<string, Conversation>();
  const frames = new Map<string, Framer>();
  const all: Conversation[] = [];
  for (const step of script.steps) {
    const fail = (reason: string, hint?: string): never => {
      throw new ScriptError(script.file, step.line, step.column, reason, hint);
    };
    const { command, args } = step.call;
    const spec = command.script ?? {};
    const { positional } = args;
    const defined = spec.defines === undefined ? undefined : positional[spec.defines];
    if (defined && spec.transport !== undefined && !spec.binds) {
      const opened = positional[spec.transport].text;
      const transport = opened === "wss" ? "ws" : opened;
      if (transport !== "tcp" && transport !== "udp" && transport !== "ws") {
        return fail(
          `the mock serves tcp, udp and ws sockets; "${defined.text}" is ${transport}`,
          "record a tcp, udp or ws session to mock it",
        );
      }
      if (all.length > 0 && all[0].transport !== transport) {
        fail(
          `the mock serves one transport; this script opens ${all[0].transport} and ${transport}`,
          "mock each transport from a script of its own",
        );
      }
      const c: Conversation = { socket: defined.text, transport, line: step.line, exchanges: [] };
      if (opened === "wss") c.secure = true;
      byName.set(c.socket, c);
      frames.delete(c.socket);
      all.push(c);
      continue;
    }
    const target = positional[spec.socket ?? 0]?.text;
    const conversation = target === undefined ? undefined : byName.get(target);
    if (!conversation || step.expect?.kind === "error" && !spec.reads) continue;
    const datagrams = conversation.transport === "udp";
    // Datagrams and ws messages stay whole: consecutive ones are never joined.
    const messages = conversation.transport !== "tcp";
    const frame = frames.get(conversation.socket);
    const add = (e: Exchange) => {
      const last = conversation.exchanges.at(-1);
      if (datagrams && !last && e.from === "server") {
        fail(
          "a UDP mock can only answer: the client must send first",
          `"${conversation.socket}" receives before it sends`,
        );
      }
      if (!messages && last && last.from === e.from && "bytes" in last && "bytes" in e) {
        last.bytes = concat([last.bytes, e.bytes]);
        const files = secrets.get(e);
        if (files) secrets.set(last, [...(secrets.get(last) ?? []), ...files]);
      } else conversation.exchanges.push(e);
    };
    if (spec.frame !== undefined) {
      const name = positional[spec.frame]?.text;
      if (name === undefined || name === "none") frames.delete(conversation.socket);
      else frames.set(conversation.socket, framer(name));
    } else if (spec.sends || spec.reads) {
      // A command that does both (sendafter) waits for the server's bytes, then sends.
      if (spec.reads) {
        const expect = step.expect;
        if (expect?.kind === "data" && expect.file) {
          let path = "";
          try {
            path = substitute(expect.file, (v) => v === "dir" ? roots[0] : undefined);
            checkPath(
              `mock "${script.file}"`,
              path,
              "read",
              roots,
              "the mock reads only the recording's folder",
            );
          } catch (error) {
            fail(errorMessage(error));
          }
          const bytes = await Deno.readFile(path).catch((error) =>
            fail(`Cannot read "@${path}": ${errorMessage(error)}`)
          );
          add({
            line: step.line,
            from: "server",
            bytes: frame ? frame.encode(bytes) : bytes,
            ...(messages && claimedKind(expect.binary, bytes) === "binary" ? { binary: true } : {}),
          });
        } else if (expect?.kind === "data") {
          add({
            line: step.line,
            from: "server",
            bytes: frame ? frame.encode(expect.bytes) : expect.bytes,
            ...(messages && claimedKind(expect.binary, expect.bytes) === "binary"
              ? { binary: true }
              : {}),
          });
          // expect … eof that matched eof: the server closed after these bytes.
          if (expect.matched?.text === "eof") add({ line: step.line, from: "server-close" });
        } else if (expect?.kind === "error") {
          if (expect.template.source.includes(END_OF_STREAM)) {
            add({ line: step.line, from: "server-close" });
          }
        } else if (expect?.kind === "regex") {
          fail("the mock cannot answer a /REGEX/ observation", "record the exact bytes instead");
        } else fail(`${step.name} without an observation: the mock does not know what to answer`);
      }
      if (spec.sends && step.expect?.kind !== "error") {
        // `${dir}` (the recording's folder) is the one variable a payload may use.
        const tokens = positional.slice(spec.sends.payload).map((t) => ({
          ...t,
          text: t.text.replaceAll("${dir}", roots[0]),
        }));
        if (tokens.some((t) => t.text.includes("${"))) {
          fail("the mock cannot send a payload that uses variables", "write the bytes literally");
        }
        const parts = parsePayload(tokens);
        const suffix = spec.sends.suffix?.(args);
        if (suffix && !frame) parts.push({ kind: "bytes", bytes: suffix });
        const files: string[] = [];
        for (const part of parts) {
          if (part.kind !== "file") continue;
          try {
            checkPath(
              `mock "${script.file}"`,
              part.path,
              "read",
              roots,
              "the mock reads only the recording's folder",
            );
          } catch (error) {
            fail(errorMessage(error));
          }
          files.push(part.path);
        }
        const bytes = await payloadBytes(parts).catch((error) => fail(errorMessage(error)));
        const e: Exchange = {
          line: step.line,
          from: "client",
          bytes: frame ? frame.encode(bytes) : bytes,
          ...(messages && args.options.binary === true ? { binary: true } : {}),
        };
        if (files.length) secrets.set(e, files);
        add(e);
      }
    } else if (spec.closes && !datagrams) {
      add({ line: step.line, from: "client-close" });
    }
  }
  for (const [e, files] of secrets) {
    if (e.from !== "client") continue;
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", e.bytes.slice()));
    e.secret = { files: [...new Set(files)], sha256: hex(digest) };
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

/**
 * Mock settings; all optional.
 *
 * @example A mock on a chosen address that logs each client
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { type MockOptions, startMock } from "./mock.ts";
 * const logged: string[] = [];
 * const options: MockOptions = { listen: "127.0.0.1:0", timeout: 1000, onLog: (m) => logged.push(m) };
 * await using mock = await startMock(parseScript('open tcp c 127.0.0.1:1\nsend c "hi"\n'), options);
 * assert.match(mock.address, /^127\.0\.0\.1:\d+$/);
 * ```
 */
export interface MockOptions {
  /** Where to listen (default `127.0.0.1:0`, a free port). */
  listen?: string;
  /** How long to wait for the client's next bytes or datagram, in ms (default 10 000). */
  timeout?: number;
  /** Commands the script uses beside the built-in ones (as given to `parseScript`). */
  commands?: readonly Command[];
  /**
   * Folders besides the recording's own whose files its `@file` payloads may name
   * (`sockit mock --allow-read DIR`).
   */
  allowRead?: string[];
  /** Receives each deviation, one line (default: kept in `diagnostics` only). */
  onDiagnostic?: (message: string) => void;
  /** Receives a line per connection or UDP peer served (default: nothing). */
  onLog?: (message: string) => void;
  /**
   * A certificate chain and its key (PEM files): serve a ws or wss recording as wss (required
   * for wss), with the options `listen wss` takes.
   */
  cert?: string;
  /** The private key (PEM file) of {@link MockOptions.cert}. */
  key?: string;
  /** Sees the mock's sockets before it listens (`--log` attaches to them). */
  watch?: (registry: SocketRegistry) => void;
}

/**
 * A running mock; `await using` closes it.
 *
 * @example A client that sends other bytes deviates
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { type MockServer, startMock } from "./mock.ts";
 * const script = parseScript('open tcp c 127.0.0.1:1\nsend c "PING\\r\\n"\nrecv c\n  "+PONG\\r\\n"\n');
 * await using mock: MockServer = await startMock(script);
 * const [hostname, port] = mock.address.split(":");
 * const conn = await Deno.connect({ hostname, port: Number(port) });
 * await conn.write(new TextEncoder().encode("QUIT\r\n"));
 * assert.equal(await conn.read(new Uint8Array(16)), null);
 * conn.close();
 * assert.equal(mock.deviated, 1);
 * assert.match(mock.diagnostics[0], /:2: /);
 * ```
 */
export interface MockServer extends AsyncDisposable {
  /** The address it listens on, e.g. `127.0.0.1:40211`. */
  readonly address: string;
  /**
   * What it listens on: tcp, udp for a script of `open udp` sockets, ws for `open ws`/`wss`
   * (wss when given a certificate).
   */
  readonly transport: MockTransport | "wss";
  /** Every deviation reported so far, one line each: `file:line: who: what differed`. */
  readonly diagnostics: string[];
  /** Connections (or UDP peers) served to the end of their conversation. */
  readonly completed: number;
  /** Connections (or UDP peers) that deviated from the recording. */
  readonly deviated: number;
  /** One line: how many conversations were served, played to the end and deviated. */
  summary(): string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Starts serving a recording's conversations; resolves once it listens. Rejects with a
 * {@linkcode ScriptError} for a script the mock cannot serve, before it listens.
 *
 * @example A mock listens on a free port, and refuses a script it cannot serve
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { startMock } from "./mock.ts";
 * import { ScriptError } from "./_private.ts";
 * const script = parseScript('open tcp c1 127.0.0.1:6379\nsend c1 "PING\\r\\n"\n', "ping.sockit");
 * {
 *   await using mock = await startMock(script);
 *   assert.match(mock.address, /^127\.0\.0\.1:\d+$/);
 *   assert.equal(mock.transport, "tcp");
 * }
 * await assert.rejects(startMock(parseScript("set display hex\n")), ScriptError);
 * ```
 */
export async function startMock(script: Script, options: MockOptions = {}): Promise<MockServer> {
  const list = await conversations(script, { allowRead: options.allowRead });
  const listen = listenLine(script, list, options);
  const transport = list[0].transport;
  const timeout = options.timeout ?? 10_000;
  const shell = new Shell({ timeout, commands: options.commands });
  options.watch?.(shell.registry);
  const stop = new AbortController();
  const diagnostics: string[] = [];
  const tasks = new Set<Promise<void>>();
  let [served, completed, deviated] = [0, 0, 0];
  const listening = await shell.execute(listen)
    .catch(async (error) => {
      await shell.close();
      throw error;
    });
  const address = listening.kind === "socket" ? listening.info.local : "";
  const unsubscribe = shell.registry.subscribe((event) => {
    if (event.type !== "accepted" || event.name !== "mock" || stop.signal.aborted) return;
    const n = ++served;
    const who = transport === "udp" ? `peer ${n}` : `connection ${n}`;
    const conversation = list[(n - 1) % list.length];
    const report = (line: number, message: string) => {
      deviated++;
      const diagnostic =
        `${script.file}:${line}: ${who} (recorded as ${conversation.socket}): ${message}`;
      diagnostics.push(diagnostic);
      options.onDiagnostic?.(diagnostic);
    };
    const task = play(shell, event.child, conversation, timeout, stop.signal, report)
      .then((ended) => {
        if (ended) {
          completed++;
          options.onLog?.(`${who} (${conversation.socket}): played to the end`);
        }
      })
      .finally(() => tasks.delete(task));
    tasks.add(task);
  });
  const close = async () => {
    if (stop.signal.aborted) return;
    stop.abort();
    unsubscribe();
    await Promise.all(tasks);
    await shell.close();
  };
  return {
    address,
    transport: listen.startsWith("listen wss ") ? "wss" : transport,
    diagnostics,
    get completed() {
      return completed;
    },
    get deviated() {
      return deviated;
    },
    summary: () =>
      `served ${served} conversations: ${completed} played to the end, ${deviated} deviated`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The mock's `listen` line: the recording's transport on `options.listen`; a certificate makes a
 * ws recording wss (which a wss recording needs), through `listen wss`'s own options.
 */
function listenLine(script: Script, list: Conversation[], options: MockOptions): string {
  const transport = list[0].transport;
  const at = options.listen ?? "127.0.0.1:0";
  const tls = options.cert !== undefined || options.key !== undefined;
  const fail = (reason: string, hint: string, line = 1): never => {
    throw new ScriptError(script.file, line, 1, reason, hint);
  };
  if (!tls) {
    const secure = list.find((c) => c.secure);
    if (secure) {
      fail(
        `"${secure.socket}" is wss: the mock serves it over TLS with --cert and --key`,
        "sockit mock FILE --cert leaf.pem --key leaf.key",
        secure.line,
      );
    }
    return `listen ${transport} mock ${at}`;
  }
  if (transport !== "ws") {
    fail(`--cert and --key serve a ws or wss recording; this one is ${transport}`, "drop them");
  }
  const paths = (["cert", "key"] as const).filter((o) => options[o] !== undefined)
    .map((o) => ` --${o} ${JSON.stringify(options[o])}`);
  return `listen wss mock ${at}${paths.join("")}`;
}

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Plays one conversation on one accepted socket with the shell's commands; resolves true when
 * it ran to the end, false when the client deviated (reported) or the mock stopped. The socket
 * is closed either way.
 */
async function play(
  shell: Shell,
  socket: string,
  conversation: Conversation,
  timeout: number,
  signal: AbortSignal,
  report: (line: number, message: string) => void,
): Promise<boolean> {
  const datagrams = conversation.transport === "udp";
  const ws = conversation.transport === "ws";
  const run = (line: string, expect?: Uint8Array) =>
    shell.execute(line, { signal, expect: expect && { bytes: expect } });
  try {
    for (const e of conversation.exchanges) {
      if (e.from === "server") {
        const binary = ws && e.binary ? " --binary" : "";
        if (e.bytes.length > 0 || datagrams || ws) {
          await run(`send ${socket}${binary} hex:${hex(e.bytes)}`);
        }
      } else if (e.from === "server-close") {
        // A ws server hangs up with the close handshake; a stream half-closes.
        await run(ws ? `close ${socket}` : `shutdown ${socket}`);
        if (ws) return true;
      } else if (e.from === "client") {
        let got;
        try {
          got = await run(`recv ${socket}`, e.bytes);
        } catch (error) {
          if (signal.aborted) return false;
          report(e.line, deviation(error, e, datagrams, timeout));
          return false;
        }
        const kind = got.kind === "data" ? got.message : undefined;
        const want = e.binary ? "binary" : "text";
        if (ws && kind !== want) {
          report(e.line, `the client sent a ${kind} message; the recording has a ${want} one`);
          return false;
        }
      } else {
        try {
          const more = await run(`recv ${socket}`);
          const got = more.kind === "data" ? preview(more.data, 60) : "";
          report(e.line, `the client sent more bytes than recorded: ${got}`);
          return false;
        } catch (error) {
          if (errorCode(error) === "eof") continue;
          if (signal.aborted) return false;
          report(
            e.line,
            `the client did not close the connection within ${formatDuration(timeout)}`,
          );
          return false;
        }
      }
    }
    return true;
  } catch (error) {
    if (!signal.aborted) report(conversation.line, errorMessage(error));
    return false;
  } finally {
    await shell.execute(`close ${socket}`).catch(() => {});
  }
}

/** What a client did instead of sending the expected bytes, one line. */
function deviation(
  error: unknown,
  e: Exchange & { from: "client" },
  datagrams: boolean,
  timeout: number,
) {
  if (e.secret) return secretDeviation(error, e.bytes.length, e.secret, timeout);
  if (!(error instanceof ExpectedReadError)) return errorMessage(error);
  const expected = e.bytes;
  const want = `expected ${preview(expected, 60)}`;
  const got = error.actual.length === 0 ? "nothing" : preview(error.actual, 60);
  switch (error.code) {
    case "mismatch":
      return datagrams
        ? `the client sent a different datagram; ${want}, got ${got}`
        : `the client sent different bytes; ${want}, got ${got}`;
    case "timeout":
      return datagrams
        ? `the client sent nothing more for ${formatDuration(timeout)}; ${want}`
        : `the client sent nothing more for ${formatDuration(timeout)}; ${want}, got ${got}`;
    case "eof":
      return `the client closed the connection; ${want}, got ${got}`;
    default:
      return `${errorMessage(error)}; ${want}`;
  }
}

/**
 * A deviation from bytes that came from `@file`s, told without any of their bytes (the client's
 * bytes could otherwise be compared with them): the files, the length and hash, and where the
 * client's bytes first differ.
 */
function secretDeviation(error: unknown, length: number, secret: Secret, timeout: number): string {
  const files = secret.files.map((f) => `@${f}`).join(", ");
  const want = `expected ${length} bytes from ${files} (sha256 ${secret.sha256.slice(0, 16)}…)`;
  const code = error instanceof ExpectedReadError ? error.code : errorCode(error);
  switch (code) {
    case "mismatch":
      return `the client sent different bytes; ${want}, differing at byte ${
        (error as ExpectedReadError).at ?? 0
      }`;
    case "timeout":
      return `the client sent nothing more for ${formatDuration(timeout)}; ${want}`;
    case "eof":
      return `the client closed the connection; ${want}`;
    default:
      return `the client did not send the expected bytes (${code}); ${want}`;
  }
}
