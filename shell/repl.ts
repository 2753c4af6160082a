import process from "node:process";
import * as readline from "node:readline";
import type { Terminal, TerminalInput } from "../commands/types.ts";
import type { SocketEvent } from "../sockets/named_socket.ts";
import { type Palette, paletteFor } from "./colors.ts";
import { complete } from "./complete.ts";
import { exitCodeFor, onStopSignal } from "./exit_codes.ts";
import {
  appendHistory,
  HISTORY_SIZE,
  historyPath,
  keepsInHistory,
  loadHistory,
} from "./history.ts";
import { ProgressBar } from "./progress.ts";
import { renderError, renderEvent, renderResult, stamped } from "./renderer.ts";
import type { Shell } from "./shell.ts";

/**
 * REPL settings; all optional.
 *
 * @example Settings for a REPL without history
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ReplOptions } from "./repl.ts";
 * const options: ReplOptions = { prompt: "> ", historyFile: null, banner: "hello" };
 * assert.equal(options.historyFile, null);
 * ```
 */
export interface ReplOptions {
  /** The prompt (default `sockit> `). */
  prompt?: string;
  /** History file; `null` keeps no history. Default: under the user's state directory. */
  historyFile?: string | null;
  /** Colours to use (default: ANSI on a terminal unless NO_COLOR is set). */
  palette?: Palette;
  /** A greeting printed before the first prompt. */
  banner?: string;
}

const PROMPT = "sockit> ";

/** How long data events on one socket are gathered into one "bytes waiting" line. */
const DATA_EVENT_DELAY = 80;
/** The key that gives the terminal back from `interact`, as telnet's. */
const ESCAPE = "\x1d";

/** A readline interface's private hooks that the REPL needs (Deno's node:readline has them). */
interface ReadlineInternals {
  history?: string[];
  prevRows?: number;
  line: string;
  cursor: number;
}

/**
 * Routes every key through `keys` first: readline hands every keypress to its `_ttyWrite`
 * (Node's readline.Interface, and Deno's, look it up on the instance so that it can be
 * wrapped); the wrapper takes the keys it returns true for and hands the rest on.
 */
function interceptKeys(
  rl: readline.Interface,
  keys: (
    sequence: string | undefined,
    key: { ctrl?: boolean; name?: string } | undefined,
  ) => boolean,
): void {
  const target = rl as unknown as { _ttyWrite?: (s: unknown, key: unknown) => void };
  const original = target._ttyWrite;
  if (typeof original !== "function") return;
  target._ttyWrite = (s: unknown, key: unknown) => {
    const k = key as { ctrl?: boolean; name?: string } | undefined;
    if (!keys(typeof s === "string" ? s : undefined, k)) original.call(rl, s, key);
  };
}

/**
 * The interactive shell on node:readline: line editing, history kept across runs, Tab
 * completion, socket events printed above the prompt without garbling the line being typed,
 * Ctrl-C cancelling a waiting command, Ctrl-D or `quit` closing every socket. Resolves with the
 * exit code when the user leaves.
 */
export function runRepl(shell: Shell, options: ReplOptions = {}): Promise<number> {
  const output = process.stdout;
  const c = options.palette ?? paletteFor(Boolean(output.isTTY));
  const prompt = options.prompt ?? PROMPT;
  const historyFile = options.historyFile === null
    ? undefined
    : options.historyFile ?? historyPath();
  const rl = readline.createInterface({
    input: process.stdin,
    output,
    prompt,
    terminal: true,
    history: loadHistory(historyFile),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    completer: (line: string) => complete(shell, line),
  });

  let running: AbortController | undefined;
  let promptShown = false;
  const queue: string[] = [];
  let finished = false;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  // A one-line progress bar for long transfers (`send @file`, `recv… --to FILE`).
  const bar = new ProgressBar({
    write: (text) => output.write(text),
    columns: () => output.columns || 80,
    palette: c,
  });
  const progress = (done: number, total: number, label?: string) =>
    bar.report(done, total, label ?? "transferring");

  /** Erases the prompt and the (possibly wrapped) line being typed; the rows it spanned. */
  const erasePrompt = () => {
    const rows = rl.getCursorPos().rows;
    readline.moveCursor(output, 0, -rows);
    readline.cursorTo(output, 0);
    readline.clearScreenDown(output);
    return rows;
  };
  /** Prints `text` (when given) above the prompt, which is redrawn, as `newPrompt` if given. */
  const above = (text: string | undefined, newPrompt?: string) => {
    // readline redraws by moving up as many rows as the cursor sat below the prompt, so leave
    // that many blank rows under the text for it to climb back over.
    const rows = erasePrompt();
    output.write((text === undefined ? "" : text + "\n") + "\n".repeat(rows));
    if (newPrompt !== undefined) rl.setPrompt(newPrompt);
    rl.prompt(true);
  };
  const print = (text: string) => {
    if (!promptShown) {
      bar.clear();
      output.write(text + "\n");
      return;
    }
    above(text);
  };

  // The terminal lent to `interact` and `watch`. While a command has taken the input, typed
  // lines go to it (and stay out of the history), the prompt is the unfinished last line the
  // peer sent (`login: `), and Ctrl-D and the escape key are its own.
  let taken: TerminalInput | undefined;
  let partial = "";
  const internals = rl as unknown as ReadlineInternals;
  const terminal: Terminal = {
    get columns() {
      return output.columns || 80;
    },
    escapeKey: "Ctrl-]",
    write(text: string) {
      if (!taken) {
        bar.clear();
        output.write(text);
        return;
      }
      const nl = text.lastIndexOf("\n");
      let lines = nl < 0 ? undefined : partial + text.slice(0, nl);
      partial = nl < 0 ? partial + text : text.slice(nl + 1);
      if (partial.length >= terminal.columns) { // too long to stand in front of a typed line
        lines = lines === undefined ? partial : `${lines}\n${partial}`;
        partial = "";
      }
      above(lines, partial);
    },
    take(input: TerminalInput) {
      taken = input;
      partial = "";
      const history = internals.history ? [...internals.history] : undefined;
      Object.assign(rl, { line: "", cursor: 0 });
      promptShown = true;
      rl.setPrompt("");
      rl.prompt();
      return () => {
        if (taken !== input) return;
        erasePrompt();
        if (partial) output.write(partial + "\n");
        taken = undefined;
        partial = "";
        if (history) internals.history?.splice(0, Infinity, ...history);
        Object.assign(rl, { line: "", cursor: 0, prevRows: 0 });
        rl.setPrompt(prompt);
        promptShown = false;
      };
    },
  };
  interceptKeys(rl, (sequence, key) => {
    if (sequence === ESCAPE) { // outside interact it would only put a control byte in the line
      taken?.escape();
      return true;
    }
    if (!taken || !(key?.ctrl && key.name === "d")) return false;
    taken.eof();
    return true;
  });

  // "bytes waiting" events, coalesced per socket: arrivals are gathered for a moment, and once
  // a socket was announced it is not announced again until somebody read from it. Arrivals
  // while a command runs are announced when it ends (never dropped).
  const pendingData = new Set<string>();
  /** Announced sockets: their bytes in and buffered count when announced. */
  const announced = new Map<string, { bytesIn: number; buffered: number }>();
  let dataTimer: ReturnType<typeof setTimeout> | undefined;
  const infoOf = (name: string) =>
    shell.registry.has(name) ? shell.registry.get(name, "show").info() : undefined;
  const flushData = () => {
    clearTimeout(dataTimer);
    dataTimer = undefined;
    if (running) return; // shown when the command ends
    for (const name of pendingData) {
      const info = infoOf(name);
      if (!info || info.buffered === 0) continue;
      const before = announced.get(name);
      // Bytes that arrived since the announcement minus the growth of the buffer: bytes read.
      const read = before ? (info.bytesIn - before.bytesIn) - (info.buffered - before.buffered) : 1;
      if (read <= 0) continue; // nobody read since it was announced: one line is enough
      announced.set(name, { bytesIn: info.bytesIn, buffered: info.buffered });
      if (shell.settings.events === "all") {
        const event = renderEvent({ type: "data", name, bytes: 0, buffered: info.buffered }, c);
        print(stamped(event, shell.settings, c));
      }
    }
    pendingData.clear();
  };
  const unsubscribe = shell.registry.subscribe((event: SocketEvent) => {
    if (event.type === "data") {
      pendingData.add(event.name);
      dataTimer ??= setTimeout(flushData, DATA_EVENT_DELAY);
      return;
    }
    if (event.type === "closed") announced.delete(event.name);
    if (shell.settings.events !== "off") print(stamped(renderEvent(event, c), shell.settings, c));
  });

  const showPrompt = () => {
    if (finished) return;
    promptShown = true;
    rl.prompt();
  };

  // A SIGINT or SIGTERM from outside (Ctrl-C at the prompt is a key, not a signal) closes
  // every socket and leaves with 130 or 143.
  const removeSignals = onStopSignal((signal) => {
    output.write("\n");
    void finish(exitCodeFor(signal));
  });

  const finish = async (code: number) => {
    if (finished) return;
    finished = true;
    removeSignals();
    running?.abort();
    clearTimeout(dataTimer);
    unsubscribe();
    await shell.close();
    rl.close();
    resolveDone(code);
  };

  const drain = async () => {
    while (queue.length > 0 && !finished) {
      const line = queue.shift()!;
      promptShown = false;
      running = new AbortController();
      try {
        bar.start();
        const result = await shell.execute(line, { signal: running.signal, progress, terminal });
        bar.clear();
        const view = { columns: output.columns || 80 };
        const rendered = renderResult(result, shell.settings, c, view);
        const text = result.kind === "data" ? stamped(rendered, shell.settings, c) : rendered;
        if (text) output.write(text + "\n");
        if (result.kind === "quit") return finish(0);
      } catch (error) {
        bar.clear();
        output.write(renderError(error, c) + "\n");
      } finally {
        running = undefined;
      }
    }
    flushData(); // events gathered while the commands ran
    showPrompt();
  };

  rl.on("line", (line: string) => {
    if (taken) { // a line typed into `interact`: the peer's prompt it answered is used up
      partial = "";
      rl.setPrompt("");
      const input = taken;
      rl.prompt();
      input.line(line);
      return;
    }
    appendHistory(historyFile, line);
    // A line typed with a leading space stays out of the history, in memory too.
    const history = (rl as unknown as { history?: string[] }).history;
    if (!keepsInHistory(line) && history?.[0] === line) history.shift();
    queue.push(line);
    if (!running && queue.length === 1) void drain();
  });
  rl.on("SIGINT", () => {
    if (running) {
      running.abort();
      queue.length = 0;
      return;
    }
    // Like a shell: Ctrl-C drops the line being typed and gives a fresh prompt.
    output.write("^C\n" + c.dim("(Ctrl-D or quit leaves)") + "\n");
    Object.assign(rl, { line: "", cursor: 0 });
    showPrompt();
  });
  rl.on("close", () => {
    if (!finished) {
      output.write("\n");
      void finish(0);
    }
  });

  if (options.banner) output.write(options.banner + "\n");
  showPrompt();
  return done;
}
