import type { SocketRegistry } from "../sockets/registry.ts";
import type { Token } from "../grammar/tokenize.ts";
import type { DisplayMode } from "../grammar/render.ts";
import type { Result } from "./result.ts";

/** Shell-wide settings that `set` changes. */
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

/** How the REPL and batch output stamp events and received data (`set timestamps`). */
export type TimestampMode = "on" | "relative" | "off";

/** Which socket events the REPL shows (`set events`). */
export type EventsMode = "all" | "quiet" | "off";

/** How an option's value is read. */
export type OptionType = "flag" | "string" | "duration" | "integer";

/** One `--option` a command accepts. */
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

/** What Tab completes for a positional argument. */
export type ArgKind =
  | "socket"
  | "listener"
  | "kind"
  | "command"
  | "file"
  | "payload"
  | "setting"
  | "none";

/** A command's parsed arguments: positional tokens and option values. */
export interface Args {
  /** Positional arguments, as the tokenizer produced them (quoted or not, with columns). */
  positional: Token[];
  /** Option values by name: true for flags, ms for durations. */
  options: Record<string, string | number | boolean | string[] | undefined>;
  /** The whole line as typed. */
  line: string;
}

/** What a command can reach while it runs. */
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

/** Receives what the person types while a command has taken the terminal. */
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
 */
export type Expected = { bytes: Uint8Array } | { regex: RegExp };

/**
 * What the script layer (parser, recorder, replay, mock, `--update`) needs to know about a
 * command, so that it never matches command names. Positions are indexes into the positional
 * arguments. A command added through `ShellOptions.commands` declares the same and is recorded,
 * replayed and mocked like a built-in one.
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

/** One shell command: one file in `commands/`, exporting one of these. */
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
 */
export type Policy = (command: Command, args: Args) => void;
