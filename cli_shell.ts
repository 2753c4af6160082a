/**
 * Running the shell from the command line: the interactive REPL, `-c`, piped stdin and files all
 * go through here. Kept apart from the option parser (`cli.ts`) so that a bare `sockit` reaches
 * its prompt without loading commander or the session and server modules.
 *
 * @module
 */
import { runBatch } from "./shell/batch.ts";
import { paletteFor } from "./shell/colors.ts";
import { runRepl } from "./shell/repl.ts";
import { Shell } from "./shell/shell.ts";
import { attachRecorder } from "./session/recorder.ts";
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
}

/** A shell with the global options applied, and the recorder attached. */
export async function makeShell(options: GlobalOptions): Promise<Shell> {
  const shell = new Shell({ expand: expandVariables });
  if (options.display) await shell.execute(`set display ${options.display}`);
  if (options.timeout) await shell.execute(`set timeout ${options.timeout}`);
  const recorder = attachRecorder(shell);
  if (options.record) await recorder.start(options.record);
  return shell;
}

/** Finishes a recording the session left running (`--record`, or `record start` without stop). */
export async function finish(shell: Shell): Promise<void> {
  const recorder = attachRecorder(shell);
  if (recorder.file) await recorder.stop();
}

/** Ctrl-C / SIGTERM in batch mode: cancel what runs, then the run stops with 130. */
export function interruptible(): AbortController {
  const controller = new AbortController();
  const stop = () => controller.abort();
  try {
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  } catch { /* signals unsupported here */ }
  return controller;
}

/** Runs lines in batch mode, then finishes any recording and closes every socket. */
export async function batch(
  shell: Shell,
  lines: Iterable<string> | AsyncIterable<string>,
  source: string,
  events?: boolean,
) {
  const palette = paletteFor(Deno.stderr.isTerminal());
  const controller = interruptible();
  const code = await runBatch(shell, lines, { source, palette, events, signal: controller.signal });
  await finish(shell);
  await shell.close();
  return code;
}

/** The interactive shell until the user leaves; returns the exit code. */
export async function interactive(shell: Shell): Promise<number> {
  const code = await runRepl(shell, {
    banner: `sockit ${VERSION} — type help, Tab completes, Ctrl-D leaves`,
  });
  await finish(shell);
  return code;
}
