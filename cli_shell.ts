/**
 * Running the shell from the command line: the interactive REPL, `-c`, piped stdin and files all
 * go through here. Kept apart from the option parser (`cli.ts`) so that a bare `sockit` reaches
 * its prompt without loading commander or the session and server modules.
 *
 * @module
 */
import { runBatch } from "./shell/batch.ts";
import { paletteFor } from "./shell/colors.ts";
import { ProgressBar } from "./shell/progress.ts";
import { onStopSignal } from "./shell/exit_codes.ts";
import { runRepl } from "./shell/repl.ts";
import { Shell } from "./shell/shell.ts";
import { attachRecorder } from "./session/recorder.ts";
import { startLog, stopLog } from "./commands/log.ts";
import { parseLogFormat } from "./log/logger.ts";
import { expandVariables } from "./session/variables.ts";
import { VERSION } from "./version.ts";

/** Commands piped on stdin, one per line. */
export async function* stdinLines(): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of Deno.stdin.readable) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop()!;
    for (const line of lines) yield line.replace(/\r$/, "");
  }
  if (rest !== "") yield rest;
}

/** Options every way of running the shell shares. */
export interface GlobalOptions {
  command?: string;
  display?: string;
  timeout?: string;
  events?: boolean;
  record?: string;
  /** `--log FILE`: log every socket's events and bytes for the whole run. */
  log?: string;
  /** `--log-format jsonl|pcap` (default: from the file name). */
  logFormat?: string;
  /** `--timestamps [on|relative]`: stamp events and received data with the time. */
  timestamps?: string | boolean;
  /** `--json`: results as JSON lines on stdout, errors and events on stderr (batch only). */
  json?: boolean;
}

/** A shell with the global options applied, and the recorder attached. */
export async function makeShell(options: GlobalOptions): Promise<Shell> {
  const shell = new Shell({ expand: expandVariables });
  if (options.display) await shell.execute(`set display ${options.display}`);
  if (options.timeout) await shell.execute(`set timeout ${options.timeout}`);
  if (options.timestamps) {
    const mode = options.timestamps === true ? "on" : options.timestamps;
    await shell.execute(`set timestamps ${mode}`);
  }
  if (options.log) {
    const format = options.logFormat === undefined
      ? undefined
      : parseLogFormat(options.logFormat, `log to "${options.log}"`);
    await startLog(shell, options.log, format);
  }
  const recorder = attachRecorder(shell);
  if (options.record) await recorder.start(options.record);
  return shell;
}

/** Finishes a recording the session left running (`--record`, or `record start` without stop). */
export async function finish(shell: Shell): Promise<void> {
  const recorder = attachRecorder(shell);
  if (recorder.file) await recorder.stop();
}

/**
 * Ctrl-C / SIGTERM in batch mode and the foreground subcommands: aborts the controller with the
 * signal's name as its reason (so the run cancels what runs and stops with 130 or 143, see
 * `shell/exit_codes.ts`). Disposing it removes the signal listeners.
 */
export function interruptible(): AbortController & Disposable {
  const controller = new AbortController();
  const remove = onStopSignal((signal) => controller.abort(signal));
  return Object.assign(controller, { [Symbol.dispose]: remove });
}

/**
 * Runs lines in batch mode, then finishes any recording and closes every socket. Long transfers
 * show a progress bar on stderr when it is a terminal (never with `--json`).
 */
export async function batch(
  shell: Shell,
  lines: Iterable<string> | AsyncIterable<string>,
  source: string,
  options: Pick<GlobalOptions, "events" | "json"> = {},
) {
  const terminal = Deno.stderr.isTerminal();
  const palette = paletteFor(terminal);
  const progress = terminal && !options.json ? stderrProgress(palette) : undefined;
  using controller = interruptible();
  const code = await runBatch(shell, lines, {
    source,
    palette,
    events: options.events,
    json: options.json,
    progress,
    signal: controller.signal,
  });
  await finish(shell);
  await shell.close();
  await stopLog(shell.services);
  return code;
}

/** The progress bar on stderr, as wide as the terminal. */
function stderrProgress(palette: ReturnType<typeof paletteFor>): ProgressBar {
  const encoder = new TextEncoder();
  return new ProgressBar({
    palette,
    write: (text) => {
      try {
        Deno.stderr.writeSync(encoder.encode(text));
      } catch { /* stderr closed: nothing to draw on */ }
    },
    columns: () => {
      try {
        return Deno.consoleSize().columns || 80;
      } catch {
        return 80;
      }
    },
  });
}

/** The interactive shell until the user leaves; returns the exit code. */
export async function interactive(shell: Shell): Promise<number> {
  const code = await runRepl(shell, {
    banner: `sockit ${VERSION} — type help, Tab completes, Ctrl-D leaves`,
  });
  await finish(shell);
  await shell.close();
  await stopLog(shell.services);
  return code;
}
