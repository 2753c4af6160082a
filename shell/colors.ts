/**
 * The few colours the renderer uses; plain identity functions when colour is off.
 *
 * @example A palette that marks what it colours
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Palette } from "./colors.ts";
 * import { formatFailure } from "../session/report.ts";
 * const mark = (s: string) => `<${s}>`;
 * const palette: Palette = {
 *   dim: mark,
 *   bold: mark,
 *   red: mark,
 *   green: mark,
 *   yellow: mark,
 *   cyan: mark,
 *   magenta: mark,
 * };
 * const failure = { file: "x.sockit", line: 2, command: "recv a", reason: "timed out" };
 * assert.match(formatFailure(failure, palette), /^<x\.sockit:2>: <timed out>/);
 * ```
 */
export interface Palette {
  /** Faint text: hints, headers. */
  dim(s: string): string;
  /** Bold: socket names. */
  bold(s: string): string;
  /** Errors. */
  red(s: string): string;
  /** Verbs: open, listening. */
  green(s: string): string;
  /** Warnings. */
  yellow(s: string): string;
  /** Received bytes. */
  cyan(s: string): string;
  /** Event tags. */
  magenta(s: string): string;
}

const plain = (s: string) => s;

/** No colour at all. */
export const PLAIN: Palette = {
  dim: plain,
  bold: plain,
  red: plain,
  green: plain,
  yellow: plain,
  cyan: plain,
  magenta: plain,
};

/** Wraps text in an SGR code and its own reset (22 for bold/dim, 39 for colours). */
const sgr = (on: number, off: number) => (s: string) => `\x1b[${on}m${s}\x1b[${off}m`;

/** ANSI colours (written here rather than imported: an npm import costs start-up time). */
export const ANSI: Palette = {
  dim: sgr(2, 22),
  bold: sgr(1, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
  magenta: sgr(35, 39),
};

/**
 * Colour only on a terminal and never with NO_COLOR set (any value but empty).
 *
 * @example Colour is off when NO_COLOR is set or output is not a terminal
 * ```ts
 * import assert from "node:assert/strict";
 * import { paletteFor, PLAIN } from "./colors.ts";
 * assert(paletteFor(false) === PLAIN);
 * ```
 */
export function paletteFor(isTerminal: boolean): Palette {
  const noColor = (Deno.env.get("NO_COLOR") ?? "") !== "";
  return isTerminal && !noColor ? ANSI : PLAIN;
}
