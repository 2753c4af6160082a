/**
 * Running script files: read, parse and replay one file (a parse error becomes a failed result
 * naming `file:line:column`), optionally rewriting it with `update`.
 *
 * @example Replaying a file
 * ```ts
 * import { replayFile } from "./run.ts";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile({ suffix: ".sockit" });
 * await Deno.writeTextFile(file, "listen tcp srv :0\nopen tcp a ${srv.locl}\n");
 * const result = await replayFile(file);
 * assert.equal(result.status, "failed");
 * assert.equal(result.failure?.column, 12);
 * assert.match(result.failure!.hint!, /did you mean \$\{srv\.local\}/);
 * await Deno.remove(file);
 * ```
 *
 * @module
 */

import { plural } from "../grammar/plural.ts";
import { type Palette, PLAIN } from "../shell/colors.ts";
import { findScripts } from "./files.ts";
import { parseScript } from "./parse.ts";
import { formatFailure, formatSummary, formatUnread, scriptLine } from "./report.ts";
import { replay, type ReplayOptions, type ScriptResult } from "./replay.ts";
import { updatedSource } from "./update.ts";
import { errorMessage, ScriptError } from "./_private.ts";

/**
 * Reads, parses and replays one script; with `update`, rewrites its observations.
 *
 * @example Replaying a script file
 * ```ts
 * import assert from "node:assert/strict";
 * import { replayFile } from "./run.ts";
 * const file = await Deno.makeTempFile({ suffix: ".sockit" });
 * await Deno.writeTextFile(file, "set display hex\n");
 * const result = await replayFile(file);
 * assert.equal(result.status, "passed");
 * await Deno.remove(file);
 * ```
 */
export async function replayFile(path: string, options: ReplayOptions = {}): Promise<ScriptResult> {
  const started = performance.now();
  let source: string;
  try {
    source = await Deno.readTextFile(path);
  } catch (error) {
    return failed(path, 0, undefined, `Cannot read script: ${errorMessage(error)}`, started);
  }
  let script;
  try {
    script = parseScript(source, path, {
      commands: options.commands,
      variables: Object.keys(options.variables ?? {}),
    });
  } catch (error) {
    if (error instanceof ScriptError) {
      return failed(path, error.line, error.column, error.reason, started, error.hint);
    }
    return failed(path, 0, undefined, errorMessage(error), started);
  }
  const result = await replay(script, options);
  if (options.update) {
    const next = updatedSource(script, result);
    if (next !== source) await Deno.writeTextFile(path, next);
  }
  return result;
}

function failed(
  file: string,
  line: number,
  column: number | undefined,
  reason: string,
  started: number,
  hint?: string,
): ScriptResult {
  return {
    file,
    status: "failed",
    steps: [],
    failure: { file, line, column, command: "", reason, hint },
    ms: performance.now() - started,
  };
}

/**
 * Settings of {@linkcode runTests}; all optional.
 *
 * @example Collecting sockit test's lines
 * ```ts
 * import assert from "node:assert/strict";
 * import { runTests, type RunTestsOptions } from "./run.ts";
 * const file = await Deno.makeTempFile({ suffix: ".sockit" });
 * await Deno.writeTextFile(file, "recv nosuch\n");
 * const lines: string[] = [];
 * const options: RunTestsOptions = { write: (line) => lines.push(line), timeout: 1000 };
 * assert.equal(await runTests([file], options), 1);
 * assert.match(lines[0], /^FAIL /);
 * await Deno.remove(file);
 * ```
 */
export interface RunTestsOptions extends ReplayOptions {
  /** Receives each output line (default: stdout). */
  write?: (line: string) => void;
  /** Colours for the output (default: none). */
  palette?: Palette;
}

/**
 * `sockit test PATH…`: replays every script the paths name, writes one line per script (and
 * the report of each failure) and a summary. Returns the exit code: 0 only when all pass.
 *
 * @example One line per script and a summary; exit code 0 when all pass
 * ```ts
 * import assert from "node:assert/strict";
 * import { runTests } from "./run.ts";
 * const file = await Deno.makeTempFile({ suffix: ".sockit" });
 * await Deno.writeTextFile(file, "set display hex\n");
 * const lines: string[] = [];
 * assert.equal(await runTests([file], { write: (line) => lines.push(line) }), 0);
 * assert.match(lines.at(-1)!, /^1 passed, 0 failed/);
 * await Deno.remove(file);
 * ```
 */
export async function runTests(paths: string[], options: RunTestsOptions = {}): Promise<number> {
  const write = options.write ?? ((line: string) => console.log(line));
  const c = options.palette ?? PLAIN;
  const files = findScripts(paths);
  const results: ScriptResult[] = [];
  const started = performance.now();
  for (const file of files) {
    const result = await replayFile(file, options);
    results.push(result);
    if (options.update && result.steps.length > 0) {
      const rewritten = result.steps.filter((s) => s.status === "failed" || !s.step.expect);
      write(
        rewritten.length === 0
          ? scriptLine(result, c)
          : `${c.yellow("updated")} ${file} ${
            c.dim(`(${plural(rewritten.length, "observation")})`)
          }`,
      );
    } else if (result.failure) write(`${c.red("FAIL")} ${formatFailure(result.failure, c)}`);
    else {
      write(scriptLine(result, c));
      const warning = formatUnread(result, c);
      if (warning) write(warning);
    }
  }
  const verb = options.update ? " (observations updated)" : "";
  write(
    `${formatSummary(results)}${verb} ${c.dim(`(${Math.round(performance.now() - started)}ms)`)}`,
  );
  // With --update a failed step is rewritten; only a script that did not parse still fails.
  const ok = (r: ScriptResult) => r.status === "passed" || (options.update && r.steps.length > 0);
  return results.every(ok) ? 0 : 1;
}
