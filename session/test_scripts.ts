/**
 * `deno test` registration: one `Deno.test` per script, so a project replays its recordings
 * with two lines in `tests/replay_test.ts`:
 *
 * ```ts ignore
 * import { testScripts } from "jsr:@sockit/sockit";
 * testScripts(new URL("../scripts/*.sockit", import.meta.url));
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { relative } from "node:path";
import { findScripts } from "./files.ts";
import type { ReplayOptions, StepOutcome } from "./replay.ts";
import { formatFailure, formatUnread } from "./report.ts";
import { replayFile } from "./run.ts";

/**
 * Settings of {@linkcode testScripts}; all optional.
 *
 * @example Naming the registered tests
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TestScriptsOptions } from "./test_scripts.ts";
 * const options: TestScriptsOptions = {
 *   steps: true,
 *   name: (file) => `script ${file.split("/").at(-1)}`,
 * };
 * assert.equal(options.name!("/tmp/echo.sockit"), "script echo.sockit");
 * ```
 */
export interface TestScriptsOptions extends ReplayOptions {
  /** Report each command as a test step (`t.step`), so a failure points at its line. */
  steps?: boolean;
  /** The test name for a file (default: `replay PATH` relative to the working directory). */
  name?: (file: string) => string;
  /** Registers the tests as ignored (e.g. when a peer the scripts need is missing). */
  ignore?: boolean;
}

/**
 * Registers one `Deno.test` per script the path, folder or glob names (several may be given).
 * A test fails with the failure report: `file:line`, the command, expected vs actual and the
 * sockets' states. Returns the files registered.
 *
 * @example Registering the scripts of a folder
 * ```ts
 * import { testScripts } from "./test_scripts.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.sockit`, "listen tcp srv :0\n");
 * const registered: string[] = [];
 * const realTest = Deno.test;
 * // Stand-in for Deno.test, to see what would be registered.
 * Object.assign(Deno, { test: (t: { name: string }) => registered.push(t.name) });
 * try {
 *   testScripts(dir, { name: (f) => f.split("/").at(-1)! });
 * } finally {
 *   Object.assign(Deno, { test: realTest });
 * }
 * assert.deepEqual(registered, ["a.sockit"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function testScripts(
  pathOrGlob: string | URL | (string | URL)[],
  options: TestScriptsOptions = {},
): string[] {
  const paths = (Array.isArray(pathOrGlob) ? pathOrGlob : [pathOrGlob])
    .map((p) => p instanceof URL ? fileURLToPath(p) : p);
  const files = findScripts(paths);
  const name = options.name ?? ((file: string) => `replay ${relative(Deno.cwd(), file)}`);
  for (const file of files) {
    Deno.test({
      name: name(file),
      ignore: options.ignore,
      async fn(t) {
        const onStep = options.steps
          ? async (_: unknown, outcome: StepOutcome) => {
            await t.step(`${outcome.step.line}: ${outcome.step.command}`, () => {
              if (outcome.failure) throw new Error(formatFailure(outcome.failure));
            });
          }
          : options.onStep;
        const result = await replayFile(file, { ...options, onStep });
        if (result.failure) throw new Error(formatFailure(result.failure));
        const warning = formatUnread(result);
        if (warning) console.warn(`${result.file}:\n${warning}`);
      },
    });
  }
  return files;
}
