/**
 * `sockit test --update`: rewrites a script's observations from a fresh run. Observations that
 * still match are kept as written (with their wildcards and captures); within a text block that
 * no longer matches, lines that still match are kept too. Comments stay where they were.
 *
 * @example Filling in the observations of a hand-written script
 * ```ts
 * import { parseScript } from "./parse.ts";
 * import { replay } from "./replay.ts";
 * import { updatedSource } from "./update.ts";
 * import assert from "node:assert/strict";
 *
 * const script = parseScript("# setup\nlisten tcp srv :0\nsend srv.1 x\n", "u.sockit");
 * const result = await replay(script, { update: true });
 * assert.equal(
 *   updatedSource(script, result),
 *   '# setup\nlisten tcp srv :0\n  srv  listening  tcp ${srv.local}\nsend srv.1 x\n  ! Cannot send to "srv.1": no such socket\n',
 * );
 * ```
 *
 * @module
 */

import type { Script } from "./format.ts";
import type { ScriptResult, StepOutcome } from "./replay.ts";
import { dataLines, textLines } from "./recorder.ts";
import { generalize, matchTemplate } from "./template.ts";

/** Observation lines for one step from what it observed, keeping what still matches. */
function newObservation(outcome: StepOutcome): string[] {
  const { step, observed, values } = outcome;
  const byName = new Map(values.map(([v, n]) => [n, v]));
  const lookup = (name: string) => byName.get(name);
  const general = (line: string) => generalize(line, values);
  if (observed.length === 1 && observed[0].startsWith("! ")) {
    const message = observed[0].slice(2);
    if (step.expect?.kind === "error") {
      try {
        if (matchTemplate(step.expect.template, message, lookup)) {
          return [`! ${step.expect.template.source}`];
        }
      } catch { /* an undefined capture: regenerate */ }
    }
    return [`! ${general(message)}`];
  }
  if (outcome.result && outcome.result.kind !== "data") {
    const old = step.expect?.kind === "text" ? step.expect.lines : [];
    const fresh = textLines(outcome.result, outcome.settings!, values);
    return observed.map((line, i) => {
      const template = old.length === observed.length ? old[i] : undefined;
      try {
        if (template && matchTemplate(template, line, lookup)) return template.source;
      } catch { /* regenerate */ }
      return fresh[i] ?? general(line);
    });
  }
  if (outcome.result?.kind === "data") {
    return dataLines(outcome.result, outcome.settings!, values); // received bytes: exact
  }
  return observed;
}

/**
 * The script's new source: each step's observation block replaced by what the run observed,
 * unless it passed (then it is kept byte for byte). Steps the run did not reach are unchanged.
 *
 * @example What --update writes for a step that saw other bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { replay } from "./replay.ts";
 * import { updatedSource } from "./update.ts";
 * const script = parseScript(
 *   'listen tcp srv :0\nopen tcp a ${srv.local}\nsendline srv.1 hi\nrecv a\n  "ho\\n"\n',
 *   "x.sockit",
 * );
 * const result = await replay(script, { update: true });
 * assert.match(updatedSource(script, result), /^recv a\n  "hi\\n"$/m);
 * ```
 */
export function updatedSource(script: Script, result: ScriptResult): string {
  const lines = [...script.lines];
  for (const outcome of [...result.steps].reverse()) {
    const { step } = outcome;
    if (outcome.status === "passed" && step.expect) continue;
    const block = newObservation(outcome).map((l) => `  ${l}`);
    if (step.observed) {
      const old = lines.slice(step.observed.from, step.observed.to);
      const comments = old.filter((l) => l.trim().startsWith("#") || l.trim() === "");
      lines.splice(step.observed.from, old.length, ...comments, ...block);
    } else {
      lines.splice(step.line, 0, ...block);
    }
  }
  return lines.join("\n") + "\n";
}
