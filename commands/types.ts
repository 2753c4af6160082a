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
  /**
   * At most this many received bytes are shown per result on a terminal (0: no limit); the
   * rest is summed up in one line. Batch and piped output are always complete.
   */
  displayLimit: number;
  /** Which socket events the REPL shows: `all`, `quiet` (no "bytes waiting") or `off`. */
  events: EventsMode;
}

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
  /** Reports progress of a long transfer: bytes done of the total (the REPL shows it). */
  progress?: (done: number, total: number) => void;
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
  /** Runs the command; returns data, or throws a one-line SockitError. */
  run(ctx: CommandContext, args: Args): Promise<Result>;
}
