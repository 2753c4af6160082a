/**
 * The exit codes every way of running sockit shares (REPL, batch, `serve`, `record`, `mock`):
 *
 * | code | meaning |
 * |---|---|
 * | 0 | done: the input ended, `quit`, Ctrl-D |
 * | 1 | a command failed (batch), or bad arguments |
 * | 130 | stopped by SIGINT (Ctrl-C in batch mode and the foreground subcommands) |
 * | 141 | standard output was closed by its reader (`sockit -c … \| head -1`); nothing is printed |
 * | 143 | stopped by SIGTERM |
 *
 * The 128 + signal number convention is the one shells use, so `$?` reads the same as for any
 * other Unix tool stopped that way. Sockets are closed and recordings finished before exiting.
 *
 * @example The code for a stopping signal
 * ```ts
 * import assert from "node:assert/strict";
 * import { exitCodeFor } from "./exit_codes.ts";
 * assert.equal(exitCodeFor("SIGINT"), 130);
 * assert.equal(exitCodeFor("SIGTERM"), 143);
 * assert.equal(exitCodeFor(undefined), 1);
 * ```
 *
 * @module
 */

/** Everything ran (or `quit`). */
export const EXIT_OK = 0;
/** A command failed, or the arguments were bad. */
export const EXIT_FAILED = 1;
/** Standard output was closed by its reader (128 + SIGPIPE). */
export const EXIT_OUTPUT_CLOSED = 141;

/** The signals that stop sockit cleanly. */
export type StopSignal = "SIGINT" | "SIGTERM";

const SIGNAL_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * 130 for SIGINT, 143 for SIGTERM (128 + the signal's number); {@linkcode EXIT_FAILED} for any
 * other reason a run was stopped (an abort reason that names no signal).
 */
export function exitCodeFor(reason: unknown): number {
  return typeof reason === "string" && reason in SIGNAL_CODES
    ? SIGNAL_CODES[reason as StopSignal]
    : EXIT_FAILED;
}

/**
 * Calls `stop` with the signal's name on SIGINT or SIGTERM; returns the function that removes
 * the listeners. Does nothing where signals are not supported.
 */
export function onStopSignal(stop: (signal: StopSignal) => void): () => void {
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = () => stop(signal);
    try {
      Deno.addSignalListener(signal, handler);
    } catch { /* signals unsupported here */ }
    return () => {
      try {
        Deno.removeSignalListener(signal, handler);
      } catch { /* never added */ }
    };
  });
  return () => handlers.forEach((remove) => remove());
}
