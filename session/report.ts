/**
 * The reporter: reads replay results and turns them into text. One line per script, a
 * summary, and for a failure `file:line`, the command, expected vs actual (a diff for long
 * data) and the sockets' states.
 *
 * @example Reporting a failed replay
 * ```ts
 * import { parseScript } from "./parse.ts";
 * import { replay } from "./replay.ts";
 * import { formatFailure, formatSummary, scriptLine } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * const script = parseScript('listen tcp srv :0\nopen tcp a ${srv.local}\nsend srv.1 "hi"\nrecv a\n  "ho"', "x.sockit");
 * const result = await replay(script);
 * assert.match(scriptLine(result), /^FAIL x\.sockit:4/);
 * const text = formatFailure(result.failure!);
 * assert.match(text, /expected: +"ho"/);
 * assert.match(text, /actual: +"hi"/);
 * assert.equal(formatSummary([result]), "0 passed, 1 failed");
 * ```
 *
 * @module
 */

import { type Palette, PLAIN } from "../shell/colors.ts";
import { isText, render } from "../grammar/render.ts";
import { renderTable } from "../shell/renderer.ts";
import { describeUnread, type Failure, type ScriptResult } from "./replay.ts";

/**
 * One line for a script: `ok   file (N steps, 12ms)` or `FAIL file:line  reason`.
 *
 * @example One line for a passed script
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { replay } from "./replay.ts";
 * import { scriptLine } from "./report.ts";
 * const result = await replay(parseScript("set display hex\n", "ok.sockit"));
 * assert.match(scriptLine(result), /^ok   ok\.sockit \(1 steps, \d+ms\)$/);
 * ```
 */
export function scriptLine(result: ScriptResult, c: Palette = PLAIN): string {
  const ms = `${Math.round(result.ms)}ms`;
  if (result.status === "passed") {
    return `${c.green("ok")}   ${result.file} ${c.dim(`(${result.steps.length} steps, ${ms})`)}`;
  }
  const f = result.failure!;
  const where = f.column ? `${f.file}:${f.line}:${f.column}` : `${f.file}:${f.line}`;
  return `${c.red("FAIL")} ${where}  ${f.reason}`;
}

/**
 * `3 passed, 1 failed` (and `; 1 left bytes unread` when some did).
 *
 * @example Counting passed and failed scripts
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSummary } from "./report.ts";
 * import type { ScriptResult } from "./replay.ts";
 * const passed: ScriptResult = { file: "a.sockit", status: "passed", steps: [], ms: 2 };
 * const failed: ScriptResult = { ...passed, file: "b.sockit", status: "failed" };
 * assert.equal(formatSummary([passed, failed, passed]), "2 passed, 1 failed");
 * ```
 */
export function formatSummary(results: ScriptResult[]): string {
  const passed = results.filter((r) => r.status === "passed").length;
  const unread = results.filter((r) => r.status === "passed" && r.unread?.length).length;
  return `${passed} passed, ${results.length - passed} failed` +
    (unread ? `; ${unread} left bytes unread` : "");
}

/**
 * The warning for a passed script that ended with bytes nobody read, or undefined.
 *
 * @example A passed script that left bytes unread
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatUnread } from "./report.ts";
 * const result = {
 *   file: "a.sockit",
 *   status: "passed" as const,
 *   steps: [],
 *   ms: 2,
 *   unread: [{ socket: "a", bytes: 3, preview: '"hi\\n"' }],
 * };
 * assert.match(formatUnread(result)!, /warning: unread at the end: .*a/);
 * assert.equal(formatUnread({ ...result, unread: [] }), undefined);
 * ```
 */
export function formatUnread(result: ScriptResult, c: Palette = PLAIN): string | undefined {
  if (result.status !== "passed" || !result.unread?.length) return undefined;
  return `     ${c.yellow("warning:")} unread at the end: ${describeUnread(result.unread)}`;
}

/**
 * The full report of one failure, several lines.
 *
 * @example Where it failed, and expected against actual
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFailure } from "./report.ts";
 * const text = formatFailure({
 *   file: "x.sockit",
 *   line: 4,
 *   command: "recv a",
 *   reason: "received other bytes",
 *   expected: ['"ho"'],
 *   actual: ['"hi"'],
 * });
 * assert.match(text, /^x\.sockit:4: received other bytes/);
 * assert.match(text, /expected: +"ho"/);
 * assert.match(text, /actual: +"hi"/);
 * ```
 */
export function formatFailure(f: Failure, c: Palette = PLAIN): string {
  const out: string[] = [];
  const where = f.column ? `${f.file}:${f.line}:${f.column}` : `${f.file}:${f.line}`;
  out.push(`${c.bold(where)}: ${c.red(f.reason)}`);
  if (f.hint) out.push(`  hint: ${f.hint}`);
  if (f.command) {
    out.push(`  command:  ${f.command}`);
    if (f.executed && f.executed !== f.command) out.push(`  ran:      ${f.executed}`);
  }
  const block = (label: string, lines: string[]) => {
    if (lines.length === 0) return;
    out.push(`  ${label}${lines[0]}`);
    for (const l of lines.slice(1)) out.push(`  ${" ".repeat(label.length)}${l}`);
  };
  if (f.expected && f.expected.length > 0) block("expected: ", f.expected);
  if (f.actual && f.actual.length > 0) block("actual:   ", f.actual);
  if (f.expectedBytes && f.actualBytes) {
    const diff = bytesDiff(f.expectedBytes, f.actualBytes);
    if (diff.length > 0) {
      out.push("  diff (- expected, + actual):");
      for (const l of diff) {
        out.push("    " + (l.startsWith("-") ? c.red(l) : l.startsWith("+") ? c.green(l) : l));
      }
    }
  }
  if (f.sockets && f.sockets.rows.length > 0) {
    out.push("  sockets:");
    for (const l of renderTable(f.sockets.columns, f.sockets.rows, c).split("\n")) {
      out.push(`    ${l}`);
    }
  }
  return out.join("\n");
}

/** Splits bytes into displayable lines: text per `\n`, else hexdump rows. */
function displayLines(bytes: Uint8Array, asText: boolean): string[] {
  if (!asText) return render(bytes, "hex").split("\n");
  const lines: string[] = [];
  let from = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(render(bytes.subarray(from, i + 1), "text"));
      from = i + 1;
    }
  }
  if (from < bytes.length) lines.push(render(bytes.subarray(from), "text"));
  return lines;
}

/**
 * A line diff of two byte strings, for data too long to compare by eye: empty when both fit on
 * one short line. Text is split at newlines, binary shown as hexdump rows; the first
 * differing byte is named.
 */
export function bytesDiff(expected: Uint8Array, actual: Uint8Array): string[] {
  let at = 0;
  while (at < expected.length && at < actual.length && expected[at] === actual[at]) at++;
  const first = at === expected.length && at === actual.length ? [] : [
    `first difference at byte ${at}` +
    (at < expected.length ? `: expected 0x${hex(expected[at])}` : ": expected end") +
    (at < actual.length ? `, got 0x${hex(actual[at])}` : ", got end"),
  ];
  const asText = isText(expected) && isText(actual);
  const a = displayLines(expected, asText);
  const b = displayLines(actual, asText);
  if (a.length <= 1 && b.length <= 1 && (a[0] ?? "").length + (b[0] ?? "").length < 100) {
    return first;
  }
  return [...first, ...lineDiff(a, b)];
}

const hex = (n: number) => n.toString(16).padStart(2, "0");

/** A longest-common-subsequence diff, long equal runs folded. */
export function lineDiff(a: string[], b: string[]): string[] {
  if (a.length * b.length > 250_000) {
    return [...a.map((l) => `- ${l}`), ...b.map((l) => `+ ${l}`)];
  }
  const lcs: number[][] = Array.from(
    { length: a.length + 1 },
    () => new Array(b.length + 1).fill(0),
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push(`- ${a[i++]}`);
    } else out.push(`+ ${b[j++]}`);
  }
  // Fold runs of more than 5 equal lines to their ends.
  const folded: string[] = [];
  for (let k = 0; k < out.length;) {
    let e = k;
    while (e < out.length && out[e].startsWith("  ")) e++;
    if (e - k > 5) {
      folded.push(out[k], out[k + 1], `  … ${e - k - 4} equal lines`, out[e - 2], out[e - 1]);
      k = e;
    } else if (e > k) {
      folded.push(...out.slice(k, e));
      k = e;
    } else folded.push(out[k++]);
  }
  return folded;
}
