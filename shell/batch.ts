import type { SocketEvent } from "../sockets/named_socket.ts";
import { type Palette, PLAIN } from "./colors.ts";
import { renderError, renderEvent, renderResult, stamped } from "./renderer.ts";
import type { Shell } from "./shell.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_OUTPUT_CLOSED, exitCodeFor } from "./exit_codes.ts";
import { commandWord, jsonErrorLine, jsonEventLine, jsonResultLine } from "./json_output.ts";
import type { ProgressBar } from "./progress.ts";

/**
 * Where batch output goes, and how it looks; all optional.
 *
 * @example Output to functions, errors named after the source
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "./shell.ts";
 * import { type BatchOptions, runBatch } from "./batch.ts";
 * await using shell = new Shell();
 * const out: string[] = [];
 * const options: BatchOptions = { write: (text) => out.push(text), source: "setup.txt" };
 * assert.equal(await runBatch(shell, ["set display hex", "set"], options), 0);
 * assert.match(out.join("\n"), /display +hex/);
 * ```
 */
export interface BatchOptions {
  /** Receives each rendered result (default: stdout). */
  write?: (text: string) => void;
  /** Receives errors and events (default: stderr). */
  writeError?: (text: string) => void;
  /** Names the input in error messages: a file name, `-c` or `stdin`. */
  source?: string;
  /** Show socket events (accepted, peer closed, …) on the error stream. */
  events?: boolean;
  /** Colours to use (default: none). */
  palette?: Palette;
  /**
   * Stops the run: cancels the command under way and reads no further line. The run then ends
   * with the code for the abort reason (`"SIGINT"` 130, `"SIGTERM"` 143, anything else 1).
   */
  signal?: AbortSignal;
  /**
   * `--json`: every command's result as one JSON line on `write`, errors and events as JSON
   * lines on `writeError` (see `json_output.ts`); lines without a command (blank, comments)
   * print nothing. Exit codes are the same.
   */
  json?: boolean;
  /** Draws long transfers' progress (when the error stream is a terminal); cleared before output. */
  progress?: ProgressBar;
}

const encoder = new TextEncoder();

/**
 * Thrown by {@linkcode stdoutLine} when standard output's reader has gone (`sockit … | head -1`):
 * the run stops quietly with {@linkcode EXIT_OUTPUT_CLOSED}, as other Unix tools do.
 */
export class OutputClosed extends Error {
  /** Always `OutputClosed`. */
  override name = "OutputClosed";
  /** The error for a closed standard output. */
  constructor() {
    super("standard output was closed");
  }
}

/** Writes all of `bytes` to a stream, or throws {@linkcode OutputClosed} on a broken pipe. */
function writeAll(stream: typeof Deno.stdout, bytes: Uint8Array): void {
  try {
    for (let off = 0; off < bytes.length;) off += stream.writeSync(bytes.subarray(off));
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) throw new OutputClosed();
    throw error;
  }
}

/** Writes a line to stdout; throws {@linkcode OutputClosed} once nobody reads it. */
export function stdoutLine(text: string): void {
  writeAll(Deno.stdout, encoder.encode(text + "\n"));
}

/** Writes a line to stderr; a closed stderr is ignored (there is nowhere left to say so). */
export function stderrLine(text: string): void {
  try {
    writeAll(Deno.stderr, encoder.encode(text + "\n"));
  } catch (error) {
    if (!(error instanceof OutputClosed)) throw error;
  }
}

const STOPPED = Symbol("stopped");

/** The next line, or STOPPED as soon as the signal aborts (a read of stdin may never end). */
function nextLine(
  lines: Iterator<string> | AsyncIterator<string>,
  signal: AbortSignal | undefined,
): Promise<IteratorResult<string> | typeof STOPPED> {
  const next = Promise.resolve(lines.next());
  if (!signal) return next;
  if (signal.aborted) return Promise.resolve(STOPPED);
  return new Promise((resolve, reject) => {
    const stop = () => resolve(STOPPED);
    signal.addEventListener("abort", stop, { once: true });
    next.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
  });
}

/**
 * Runs lines in order through the shell (`sockit -c`, `sockit run FILE`, piped stdin). The
 * first failing command stops the run: its error names the source and line, and the exit code
 * is 1. `quit` ends the run with 0; an aborted `signal` with 130 or 143 (see `exit_codes.ts`); a
 * closed standard output quietly with 141. Returns the exit code.
 *
 * @example A failing line stops the run with exit code 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "./shell.ts";
 * import { runBatch } from "./batch.ts";
 * await using shell = new Shell();
 * const out: string[] = [];
 * const errors: string[] = [];
 * const code = await runBatch(shell, ["set display hex", "recv nosuch", "set display text"], {
 *   write: (text) => out.push(text),
 *   writeError: (text) => errors.push(text),
 *   source: "demo",
 * });
 * assert.equal(code, 1);
 * assert.match(errors.join(""), /demo:2/);
 * ```
 */
export async function runBatch(
  shell: Shell,
  lines: Iterable<string> | AsyncIterable<string>,
  options: BatchOptions = {},
): Promise<number> {
  const bar = options.json ? undefined : options.progress;
  const output = options.write ?? stdoutLine;
  const errors = options.writeError ?? stderrLine;
  const write = bar ? (text: string) => (bar.clear(), output(text)) : output;
  const writeError = bar ? (text: string) => (bar.clear(), errors(text)) : errors;
  const progress = bar &&
    ((done: number, total: number, label?: string) =>
      bar.report(done, total, label ?? "transferring"));
  const c = options.palette ?? PLAIN;
  const source = options.source ?? "stdin";
  const json = options.json === true;
  const unsubscribe = options.events
    ? shell.registry.subscribe((e: SocketEvent) => {
      if (e.type === "data") return;
      writeError(json ? jsonEventLine(e) : stamped(renderEvent(e, c), shell.settings, c));
    })
    : () => {};
  const signal = options.signal;
  const iterator = Symbol.asyncIterator in lines
    ? lines[Symbol.asyncIterator]()
    : lines[Symbol.iterator]();
  try {
    for (let n = 1;; n++) {
      const next = await nextLine(iterator, signal);
      if (next === STOPPED) return exitCodeFor(signal?.reason);
      if (next.done) return EXIT_OK;
      const command = json ? commandWord(next.value) : undefined;
      try {
        bar?.start();
        const result = await shell.execute(next.value, { signal, progress });
        bar?.clear();
        if (json) {
          if (command !== undefined) write(jsonResultLine(n, command, result));
        } else {
          const rendered = renderResult(result, shell.settings, c);
          const text = result.kind === "data" ? stamped(rendered, shell.settings, c) : rendered;
          if (text) write(text);
        }
        if (result.kind === "quit") return EXIT_OK;
      } catch (error) {
        if (error instanceof OutputClosed) return EXIT_OUTPUT_CLOSED;
        writeError(
          json
            ? jsonErrorLine(n, command ?? null, error)
            : `${source}:${n}: ${renderError(error, c)}`,
        );
        return signal?.aborted ? exitCodeFor(signal.reason) : EXIT_FAILED;
      }
    }
  } finally {
    unsubscribe();
    // Release the input (a stdin reader) unless a read of it is still pending.
    if (!signal?.aborted) await iterator.return?.();
  }
}

/** Splits text into lines, keeping line numbers true (no statements joined). */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}
