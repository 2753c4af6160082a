import { showValue } from "../grammar/show_value.ts";
import { COMMANDS } from "../commands/mod.ts";
import { parseArgs } from "../commands/args.ts";
import { NONE, type Result } from "../commands/result.ts";
import type {
  Command,
  CommandContext,
  EventsMode,
  Expected,
  Policy,
  Settings,
  Terminal,
} from "../commands/types.ts";
import type { Delivery } from "../sockets/delivery.ts";
import { SockitError } from "../grammar/errors.ts";
import { nearest } from "../grammar/nearest.ts";
import { SocketRegistry } from "../sockets/registry.ts";
import type { DisplayMode } from "../grammar/render.ts";
import { tokenize } from "../grammar/tokenize.ts";

/** Other names a command runs under: `exit` leaves as `quit` does. */
const ALIASES: Readonly<Record<string, string>> = { exit: "quit" };

/**
 * Shell settings; every field is optional and defaults in one place.
 *
 * @example A shell with its own defaults
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "./shell.ts";
 * await using shell = new Shell({ display: "hex", timeout: 500 });
 * assert.equal(shell.settings.display, "hex");
 * const srv = await shell.execute("listen tcp srv 127.0.0.1:0");
 * if (srv.kind !== "socket") throw new Error("listen failed");
 * await shell.execute(`open tcp a ${srv.info.local}`);
 * await shell.execute("accept srv");
 * await assert.rejects(shell.execute("recv srv.1"), /timed out|timeout/);
 * ```
 */
export interface ShellOptions {
  /** How received bytes are shown (default `auto`). */
  display?: DisplayMode;
  /** Default deadline for waiting commands, in ms (default 10 000). */
  timeout?: number;
  /** Received bytes shown per result on a terminal, 0 for all (default 4096). */
  displayLimit?: number;
  /** Which events the REPL shows (default `all`). */
  events?: EventsMode;
  /** Extra commands to add beside the built-in ones. */
  commands?: readonly Command[];
  /**
   * Rewrites each line before it runs (the CLI expands socket variables such as `${srv.local}`
   * with it); throws a SockitError for a line it cannot rewrite. Default: lines run as given.
   */
  expand?: (
    line: string,
    registry: SocketRegistry,
    variables: ReadonlyMap<string, string>,
  ) => string;
  /** Checks every command before it runs and may refuse it (a replay's permission policy). */
  policy?: Policy;
  /** Received bytes reach the buffers in pieces (`sockit test --chunk/--delay`); default: as read. */
  delivery?: Delivery;
}

/** How many received bytes a terminal shows per result unless `set display-limit` says otherwise. */
export const DISPLAY_LIMIT = 4096;

/** Fills in every default: the one place settings become complete. */
export function shellSettings(options: ShellOptions = {}): Settings {
  return {
    display: options.display ?? "auto",
    timeout: options.timeout ?? 10_000,
    displayLimit: options.displayLimit ?? DISPLAY_LIMIT,
    events: options.events ?? "all",
  };
}

/**
 * What one executed line produced: its result, or the error it failed with.
 *
 * @example Observers see every line and its result or error
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell, type Executed } from "./shell.ts";
 * await using shell = new Shell();
 * const seen: Executed[] = [];
 * shell.observers.add((executed) => seen.push(executed));
 * await shell.execute("set display hex");
 * await shell.execute("recv nosuch").catch(() => {});
 * assert.deepEqual(seen.map((e) => [e.line, e.error === undefined]), [
 *   ["set display hex", true],
 *   ["recv nosuch", false],
 * ]);
 * ```
 */
export type Executed =
  | { line: string; result: Result; error?: undefined }
  | { line: string; error: unknown; result?: undefined };

/**
 * Options for running one line.
 *
 * @example Cancelling a waiting command
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "./shell.ts";
 * await using shell = new Shell();
 * const srv = await shell.execute("listen tcp srv 127.0.0.1:0");
 * if (srv.kind !== "socket") throw new Error("listen failed");
 * await shell.execute(`open tcp a ${srv.info.local}`);
 * await shell.execute("accept srv");
 * const stop = new AbortController();
 * const waiting = shell.execute("recv srv.1", { signal: stop.signal });
 * stop.abort();
 * await assert.rejects(waiting);
 * ```
 */
export interface ExecuteOptions {
  /** Cancels a waiting command (Ctrl-C in the REPL). */
  signal?: AbortSignal;
  /** Called during long transfers with bytes done, the total (0: unknown) and a label. */
  progress?: (done: number, total: number, label?: string) => void;
  /** Replay mode of a receiving command: what it is expected to receive (see `CommandContext`). */
  expect?: Expected;
  /** The person's terminal, lent by the REPL to `interact` and `watch`. */
  terminal?: Terminal;
}

/**
 * The shell as a library: named sockets plus the command language. Run a line, get its
 * result as data; the REPL, batch mode and script replay all drive this one object.
 *
 * @example Talking to a listener from the shell
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "./shell.ts";
 * await using shell = new Shell();
 * const srv = await shell.execute("listen tcp srv 127.0.0.1:0");
 * if (srv.kind !== "socket") throw new Error("expected a socket");
 * await shell.execute(`open tcp a ${srv.info.local}`);
 * await shell.execute("accept srv");
 * await shell.execute('send a "hello\\n"');
 * const got = await shell.execute("recvline srv.1");
 * assert.equal(got.kind, "data");
 * if (got.kind === "data") assert.equal(new TextDecoder().decode(got.data), "hello\n");
 * ```
 */
export class Shell {
  /** The named live sockets. */
  readonly registry: SocketRegistry;
  /** Display mode and default timeout, changed by `set`. */
  readonly settings: Settings;
  /** Every command by name. */
  readonly commands: Map<string, Command>;
  /** Extensions other layers register (the recorder, built-in servers). */
  readonly services: Record<string, unknown> = {};
  /** Called after every executed line with its result or error (the session recorder). */
  readonly observers: Set<(executed: Executed) => void> = new Set();
  /**
   * The session's variables: captures (`expect a /id=(?<id>\d+)/` defines `id`) and those a
   * replay was given. One store for the shell, batch mode and scripts; `vars` lists it.
   */
  readonly variables: Map<string, string> = new Map();
  #expand?: ShellOptions["expand"];
  #policy?: Policy;

  /** A shell with no sockets; `options` fill in defaults in {@link shellSettings}. */
  constructor(options: ShellOptions = {}) {
    this.registry = new SocketRegistry();
    this.settings = shellSettings(options);
    this.commands = new Map([...COMMANDS, ...(options.commands ?? [])].map((c) => [c.name, c]));
    this.#expand = options.expand;
    this.#policy = options.policy;
    this.registry.delivery = options.delivery;
  }

  /**
   * The command a line starts with (`exit` is `quit`), or a "did you mean" error that also knows
   * the words users type for a command under another name (`connect` → open, see SYNONYMS).
   */
  command(name: string): Command {
    const command = this.commands.get(ALIASES[name] ?? name);
    if (command) return command;
    const guess = nearest(name, this.commands.keys());
    throw new SockitError(`Unknown command ${showValue(name)}`, {
      code: "unknown-command",
      hint: guess ? `did you mean ${guess}?` : "help lists the commands",
    });
  }

  /**
   * Runs one command line and returns its result. Throws a SockitError (one line naming the
   * action and the value) when the command fails; the shell and its sockets stay as they were.
   * Observers see the line as it ran (after `expand`).
   */
  async execute(line: string, options: ExecuteOptions = {}): Promise<Result> {
    if (this.observers.size === 0) {
      return await this.#run(
        this.#expand ? this.#expand(line, this.registry, this.variables) : line,
        options,
      );
    }
    let result: Result;
    try {
      if (this.#expand) line = this.#expand(line, this.registry, this.variables);
      result = await this.#run(line, options);
    } catch (error) {
      for (const observe of this.observers) observe({ line, error });
      throw error;
    }
    for (const observe of this.observers) observe({ line, result });
    return result;
  }

  async #run(line: string, options: ExecuteOptions): Promise<Result> {
    const tokens = tokenize(line);
    if (tokens.length === 0) return NONE;
    const [head, ...rest] = tokens;
    const command = this.command(head.text);
    const args = parseArgs(command, rest, line);
    const signal = options.signal ?? new AbortController().signal;
    this.#policy?.(command, args);
    const ctx: CommandContext = {
      registry: this.registry,
      settings: this.settings,
      signal,
      commands: this.commands,
      services: this.services,
      progress: options.progress,
      expect: options.expect,
      terminal: options.terminal,
      variables: this.variables,
      execute: (inner) => this.#run(inner, { ...options, signal, expect: undefined }),
    };
    return await command.run(ctx, args);
  }

  /** Closes every socket. */
  close(): Promise<void> {
    return this.registry.closeAll();
  }

  /** Closes every socket, for `await using shell = new Shell()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
