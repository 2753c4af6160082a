import type { SocketRegistry } from "../sockets/registry.ts";
import type { Token } from "../grammar/tokenize.ts";
import type { DisplayMode } from "../grammar/render.ts";
import type { Result } from "./result.ts";

/**
 * Shell-wide settings that `set` changes.
 *
 * @example A shell's settings, as options and set change them
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * await using shell = new Shell({ display: "hex", timeout: 2000 });
 * assert.equal(shell.settings.display, "hex");
 * assert.equal(shell.settings.timeout, 2000);
 * await shell.execute("set display text");
 * assert.equal(shell.settings.display, "text");
 * ```
 */
export interface Settings {
  /** How received bytes are shown: auto (text when printable, else hexdump), text or hex. */
  display: DisplayMode;
  /** Default deadline in ms for recv…, expect, accept and open. */
  timeout: number;
  /** Default deadline in ms for send and sendline (`set send-timeout`); unset: wait. */
  sendTimeout?: number;
  /**
   * At most this many received bytes are shown per result on a terminal (0: no limit); the
   * rest is summed up in one line. Batch and piped output are always complete.
   */
  displayLimit: number;
  /** Which socket events the REPL shows: `all`, `quiet` (no "bytes waiting") or `off`. */
  events: EventsMode;
  /**
   * Events and received data in the REPL and batch output are prefixed with the time: `on`
   * (wall clock), `relative` (seconds since the shell started); unset or `off`: no prefix.
   */
  timestamps?: TimestampMode;
}

/**
 * How the REPL and batch output stamp events and received data (`set timestamps`).
 *
 * @example set timestamps
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * await using shell = new Shell();
 * assert.equal(shell.settings.timestamps, undefined);
 * await shell.execute("set timestamps relative");
 * assert.equal(shell.settings.timestamps, "relative");
 * ```
 */
export type TimestampMode = "on" | "relative" | "off";

/**
 * Which socket events the REPL shows (`set events`).
 *
 * @example set events
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * await using shell = new Shell({ events: "quiet" });
 * assert.equal(shell.settings.events, "quiet");
 * await shell.execute("set events off");
 * assert.equal(shell.settings.events, "off");
 * ```
 */
export type EventsMode = "all" | "quiet" | "off";

/**
 * How an option's value is read.
 *
 * @example An integer option arrives as a number
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { Command, OptionType } from "./types.ts";
 * const type: OptionType = "integer";
 * const count: Command = {
 *   name: "count",
 *   usage: "count [--n N]",
 *   summary: "says N",
 *   options: [{ name: "n", type, summary: "--n N  how many" }],
 *   run: (_ctx, args) => Promise.resolve({ kind: "message", text: `n is ${args.options.n}` }),
 * };
 * await using shell = new Shell({ commands: [count] });
 * assert.deepEqual(await shell.execute("count --n 3"), { kind: "message", text: "n is 3" });
 * await assert.rejects(shell.execute("count --n three"));
 * ```
 */
export type OptionType = "flag" | "string" | "duration" | "integer";

/**
 * One `--option` a command accepts.
 *
 * @example A command's options
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { Command, OptionSpec } from "./types.ts";
 * const loud: OptionSpec = { name: "loud", type: "flag", summary: "--loud  shout" };
 * const hi: Command = {
 *   name: "hi",
 *   usage: "hi",
 *   summary: "says hi",
 *   options: [loud],
 *   run: (_ctx, args) => Promise.resolve({ kind: "message", text: args.options.loud ? "HI" : "hi" }),
 * };
 * await using shell = new Shell({ commands: [hi] });
 * assert.deepEqual(await shell.execute("hi --loud"), { kind: "message", text: "HI" });
 * await assert.rejects(shell.execute("hi --quiet"), /quiet/);
 * ```
 */
export interface OptionSpec {
  /** The option's name without dashes: `timeout` for `--timeout`. */
  name: string;
  /** How its value is read. */
  type: OptionType;
  /** Shown in help, e.g. `--timeout DURATION`. */
  summary: string;
  /** Takes the option more than once; values collect in an array. */
  repeat?: boolean;
}

/**
 * What Tab completes for a positional argument.
 *
 * @example Tab completes a socket argument with open sockets
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ArgKind, Command } from "./types.ts";
 * const args: ArgKind[] = ["socket", "payload"];
 * const poke: Command = {
 *   name: "poke",
 *   usage: "poke NAME PAYLOAD…",
 *   summary: "sends PAYLOAD to NAME",
 *   args,
 *   run: () => Promise.resolve({ kind: "none" }),
 * };
 * assert.deepEqual(poke.args, ["socket", "payload"]);
 * ```
 */
export type ArgKind =
  | "socket"
  | "listener"
  | "kind"
  | "command"
  | "file"
  | "payload"
  | "setting"
  | "none";

/**
 * A command's parsed arguments: positional tokens and option values.
 *
 * @example What a command receives: positional tokens and option values
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { Args, Command } from "./types.ts";
 * let got: Args | undefined;
 * const show: Command = {
 *   name: "show",
 *   usage: "show WORD…",
 *   summary: "keeps its arguments",
 *   options: [{ name: "wait", type: "duration", summary: "--wait D  a duration" }],
 *   run: (_ctx, args) => {
 *     got = args;
 *     return Promise.resolve({ kind: "none" });
 *   },
 * };
 * await using shell = new Shell({ commands: [show] });
 * await shell.execute('show one "two words" --wait 2s');
 * assert.deepEqual(got?.positional.map((t) => t.text), ["one", "two words"]);
 * assert.equal(got?.options.wait, 2000);
 * ```
 */
export interface Args {
  /** Positional arguments, as the tokenizer produced them (quoted or not, with columns). */
  positional: Token[];
  /** Option values by name: true for flags, ms for durations. */
  options: Record<string, string | number | boolean | string[] | undefined>;
  /** The whole line as typed. */
  line: string;
}

/**
 * What a command can reach while it runs.
 *
 * @example A command reads the shell's sockets and settings through its context
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { Command } from "./types.ts";
 * const count: Command = {
 *   name: "count",
 *   usage: "count",
 *   summary: "how many sockets, and the display mode",
 *   run: (ctx) =>
 *     Promise.resolve({
 *       kind: "message",
 *       text: `${ctx.registry.names().length} sockets, display ${ctx.settings.display}`,
 *     }),
 * };
 * await using shell = new Shell({ commands: [count] });
 * await shell.execute("listen tcp srv 127.0.0.1:0");
 * assert.deepEqual(await shell.execute("count"), { kind: "message", text: "1 sockets, display auto" });
 * ```
 */
export interface CommandContext {
  /** The named live sockets. */
  registry: SocketRegistry;
  /** Shell-wide settings (display mode, default timeout). */
  settings: Settings;
  /** Aborted when the user presses Ctrl-C or the run is stopped. */
  signal: AbortSignal;
  /** Every command, for help and completion. */
  commands: ReadonlyMap<string, Command>;
  /** Extensions that other layers register by name (the recorder, built-in servers). */
  services: Record<string, unknown>;
  /**
   * Reports progress of a long transfer as its bytes move: bytes done of the total (0 when not
   * known) and what moves (`sending @big.bin`); the shell draws a bar on a terminal.
   */
  progress?: (done: number, total: number, label?: string) => void;
  /**
   * Replay mode, for commands whose {@linkcode ScriptSpec.expects} is set: what the script
   * expects them to receive. They then read exactly that, failing at the first differing byte.
   */
  expect?: Expected;
  /**
   * The session's variables, by name: what `expect` and regex observations captured (named
   * groups), and what a replay was given. `${NAME}` in a later line reads them; `vars` lists them.
   */
  variables: Map<string, string>;
  /** Runs another command line in the same shell, with this context's signal (`repeat`). */
  execute(line: string): Promise<Result>;
  /**
   * The person's terminal, for commands that join it to sockets (`interact`, `watch`). Only the
   * REPL provides one: batch runs, `-c`, pipes and replays have none.
   */
  terminal?: Terminal;
}

/**
 * What the REPL lends a command that talks to the person directly: a place to print as bytes
 * arrive, and (for `interact`) the keyboard. Tests can drive a command with their own.
 *
 * @example watch prints to the terminal it is lent
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { Terminal } from "./types.ts";
 * await using shell = new Shell();
 * const srv = await shell.execute("listen tcp srv 127.0.0.1:0");
 * if (srv.kind !== "socket") throw new Error("listen failed");
 * await shell.execute(`open tcp a ${srv.info.local}`);
 * await shell.execute("accept srv");
 * let shown = "";
 * const seen = Promise.withResolvers<void>();
 * const terminal: Terminal = {
 *   columns: 80,
 *   escapeKey: "Ctrl-]",
 *   write(text) {
 *     shown += text;
 *     if (shown.includes("hello")) seen.resolve();
 *   },
 *   take: () => () => {},
 * };
 * const stop = new AbortController();
 * const watching = shell.execute("watch srv.1", { terminal, signal: stop.signal });
 * await shell.execute("sendline a hello");
 * await seen.promise;
 * stop.abort();
 * await watching.catch(() => {});
 * assert.match(shown, /srv\.1.*"hello\\n"/);
 * ```
 */
export interface Terminal {
  /** Columns of the terminal. */
  readonly columns: number;
  /** The key that gives the terminal back to the shell, as shown to people: `Ctrl-]`. */
  readonly escapeKey: string;
  /**
   * Shows text above the line being typed. Text need not end a line: while input is taken, an
   * unfinished last line stays in front of what is typed next (a peer's `login: ` prompt).
   */
  write(text: string): void;
  /**
   * Hands what is typed to `input` until the returned function is called: every line (Enter),
   * end of input (Ctrl-D) and the escape key. Meanwhile the shell's prompt is not shown and the
   * lines stay out of its history.
   */
  take(input: TerminalInput): () => void;
}

/**
 * Receives what the person types while a command has taken the terminal.
 *
 * @example interact sends the lines typed to its socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { Terminal, TerminalInput } from "./types.ts";
 * await using shell = new Shell();
 * const srv = await shell.execute("listen tcp srv 127.0.0.1:0");
 * if (srv.kind !== "socket") throw new Error("listen failed");
 * await shell.execute(`open tcp a ${srv.info.local}`);
 * await shell.execute("accept srv");
 * const taken = Promise.withResolvers<TerminalInput>();
 * const terminal: Terminal = {
 *   columns: 80,
 *   escapeKey: "Ctrl-]",
 *   write: () => {},
 *   take(input) {
 *     taken.resolve(input);
 *     return () => {};
 *   },
 * };
 * const interacting = shell.execute("interact a", { terminal });
 * const keyboard = await taken.promise;
 * keyboard.line("ping");
 * const got = await shell.execute("recvline srv.1");
 * assert.equal(got.kind === "data" && new TextDecoder().decode(got.data), "ping\n");
 * keyboard.escape();
 * await interacting;
 * ```
 */
export interface TerminalInput {
  /** A line typed and ended with Enter, without its line ending. */
  line(text: string): void;
  /** Ctrl-D: end of input. */
  eof(): void;
  /** The escape key ({@linkcode Terminal.escapeKey}). */
  escape(): void;
}

/**
 * What a replayed read is expected to receive: exact bytes (on a framed socket, one message),
 * or bytes matching a regex from the first buffered byte.
 *
 * @example Replay mode: a read that expects exact bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { Expected } from "./types.ts";
 * await using shell = new Shell();
 * const srv = await shell.execute("listen tcp srv 127.0.0.1:0");
 * if (srv.kind !== "socket") throw new Error("listen failed");
 * await shell.execute(`open tcp a ${srv.info.local}`);
 * await shell.execute("accept srv");
 * await shell.execute('send a "hello world"');
 * const expect: Expected = { bytes: new TextEncoder().encode("hello") };
 * const got = await shell.execute("recv srv.1", { expect });
 * assert.equal(got.kind === "data" && new TextDecoder().decode(got.data), "hello");
 * ```
 */
export type Expected = { bytes: Uint8Array } | { regex: RegExp };

/**
 * What the script layer (parser, recorder, replay, mock, `--update`) needs to know about a
 * command, so that it never matches command names. Positions are indexes into the positional
 * arguments. A command added through `ShellOptions.commands` declares the same and is recorded,
 * replayed and mocked like a built-in one.
 *
 * @example sendline declares that it sends its payload (position 1) to its socket (position 0)
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ScriptSpec } from "./types.ts";
 * import { COMMANDS } from "./mod.ts";
 * const sendline = COMMANDS.find((c) => c.name === "sendline")!;
 * const spec: ScriptSpec = sendline.script!;
 * assert.equal(spec.socket ?? 0, 0);
 * assert.equal(spec.sends?.payload, 1);
 * ```
 */
export interface ScriptSpec {
  /**
   * It receives bytes from the socket at {@linkcode ScriptSpec.socket}: its observation is the
   * received bytes (and the mock answers them). `any`: streams and datagrams.
   */
  reads?: "stream" | "datagram" | "any";
  /**
   * It has a replay mode ({@linkcode CommandContext.expect}): it reads exactly what the script
   * expects instead of whatever has arrived, so read boundaries do not matter.
   */
  expects?: boolean;
  /** Position of the socket it reads from, sends to, frames or closes (default 0). */
  socket?: number;
  /** Position of the name of a socket it creates. */
  defines?: number;
  /** Position of the transport word (`tcp`, `udp`, `unix`, `tls`); the address follows the name. */
  transport?: number;
  /** The socket it creates listens: a unix socket file at its address is made by the command. */
  binds?: boolean;
  /** The socket it creates names its connections NAME.1, NAME.2, … (socket variables exist). */
  children?: boolean;
  /**
   * It sends bytes to its socket: the payload starts at position `payload`, and `suffix` gives
   * what follows it (a line ending), if anything. With a frame set, the payload is one message.
   */
  sends?: { payload: number; suffix?: (args: Args) => Uint8Array | undefined };
  /** It ends our side of its socket's conversation (close, shutdown). */
  closes?: boolean;
  /** Position of a frame name it sets on its socket (`frame`). */
  frame?: number;
  /** Position where a `/REGEX/` argument starts (checked when the script is parsed). */
  regex?: number;
  /**
   * Options whose value is a file path it reads (the recorder makes them replayable elsewhere;
   * a replay's permission policy checks them).
   */
  paths?: string[];
  /** Position of a file path it writes (`record start FILE`), for the permission policy. */
  writes?: number;
  /** Position of a `HOST:PORT` it sends to (`sendto`), for the permission policy. */
  address?: number;
  /** It is about the session itself, not its sockets: recordings leave it out (record, quit). */
  unrecorded?: boolean;
}

/** One shell command: one file in `commands/`, exporting one of these. *
 * @example Adding a command to the shell
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { Command } from "./types.ts";
 * const hello: Command = {
 *   name: "hello",
 *   usage: "hello NAME",
 *   summary: "greets NAME",
 *   minArgs: 1,
 *   maxArgs: 1,
 *   run: (_ctx, args) =>
 *     Promise.resolve({ kind: "message", text: `hello ${args.positional[0].text}` }),
 * };
 * await using shell = new Shell({ commands: [hello] });
 * assert.deepEqual(await shell.execute("hello world"), { kind: "message", text: "hello world" });
 * await assert.rejects(shell.execute("hello"));
 * ```
 */
export interface Command {
  /** The word that starts the line. */
  name: string;
  /** Usage line without options, e.g. `send NAME PAYLOAD…`. */
  usage: string;
  /** One line for the command list. */
  summary: string;
  /** More help: paragraphs shown by `help NAME`. */
  details?: string;
  /** The `--options` it accepts. */
  options?: OptionSpec[];
  /** Completion of positional arguments by position; the last kind repeats. */
  args?: ArgKind[];
  /** Fewest positional arguments (checked before run). */
  minArgs?: number;
  /** Most positional arguments (checked before run); omit for any number. */
  maxArgs?: number;
  /**
   * Position of the positional argument after which options end: what follows it on the line is
   * positional, so a command that runs another command (`repeat N COMMAND…`, position 1) leaves
   * that command's options alone.
   */
  optionsEnd?: number;
  /** What scripts need to know about it; see {@linkcode ScriptSpec}. */
  script?: ScriptSpec;
  /** Runs the command; returns data, or throws a one-line SockitError. */
  run(ctx: CommandContext, args: Args): Promise<Result>;
}

/**
 * Consulted by the shell before a command runs, with the command and its parsed arguments (after
 * `${…}` substitution): throws a SockitError (code `permission`) to refuse it. A replay's
 * least-privilege policy (`sockit test --allow-read …`) is one.
 *
 * @example A policy that refuses a command
 * ```ts
 * import assert from "node:assert/strict";
 * import { SockitError } from "../grammar/errors.ts";
 * import { Shell } from "../shell/shell.ts";
 * import type { Policy } from "./types.ts";
 * const noListen: Policy = (command) => {
 *   if (command.name === "listen") {
 *     throw new SockitError("listen is not allowed here", { code: "permission" });
 *   }
 * };
 * await using shell = new Shell({ policy: noListen });
 * await assert.rejects(shell.execute("listen tcp srv 127.0.0.1:0"), /not allowed/);
 * await shell.execute("set display hex");
 * assert.equal(shell.settings.display, "hex");
 * ```
 */
export type Policy = (command: Command, args: Args) => void;
