import type { SocketEvent } from "../sockets/named_socket.ts";
import { type Palette, PLAIN } from "./colors.ts";
import { renderError, renderEvent, renderResult } from "./renderer.ts";
import type { Shell } from "./shell.ts";

/** Where batch output goes, and how it looks; all optional. */
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
  /** Stops the run (cancels the command under way). */
  signal?: AbortSignal;
}

const encoder = new TextEncoder();

/** Writes a line to stdout. */
export function stdoutLine(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text + "\n"));
}

/** Writes a line to stderr. */
export function stderrLine(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text + "\n"));
}

/**
 * Runs lines in order through the shell (`sockit -c`, `sockit run FILE`, piped stdin). The
 * first failing command stops the run: its error names the source and line, and the exit code
 * is 1. `quit` ends the run with 0. Returns the exit code.
 */
export async function runBatch(
  shell: Shell,
  lines: Iterable<string> | AsyncIterable<string>,
  options: BatchOptions = {},
): Promise<number> {
  const write = options.write ?? stdoutLine;
  const writeError = options.writeError ?? stderrLine;
  const c = options.palette ?? PLAIN;
  const source = options.source ?? "stdin";
  const unsubscribe = options.events
    ? shell.registry.subscribe((e: SocketEvent) => {
      if (e.type !== "data") writeError(renderEvent(e, c));
    })
    : () => {};
  try {
    let n = 0;
    for await (const line of lines) {
      n++;
      try {
        const result = await shell.execute(line, { signal: options.signal });
        const text = renderResult(result, shell.settings, c);
        if (text) write(text);
        if (result.kind === "quit") return 0;
      } catch (error) {
        writeError(`${source}:${n}: ${renderError(error, c)}`);
        return 1;
      }
    }
    return 0;
  } finally {
    unsubscribe();
  }
}

/** Splits text into lines, keeping line numbers true (no statements joined). */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}
