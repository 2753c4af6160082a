import pc from "picocolors";

/** The few colours the renderer uses; plain identity functions when colour is off. */
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

/** ANSI colours. */
export const ANSI: Palette = {
  dim: pc.createColors(true).dim,
  bold: pc.createColors(true).bold,
  red: pc.createColors(true).red,
  green: pc.createColors(true).green,
  yellow: pc.createColors(true).yellow,
  cyan: pc.createColors(true).cyan,
  magenta: pc.createColors(true).magenta,
};

/**
 * Colour only on a terminal and never with NO_COLOR set (any value but empty).
 */
export function paletteFor(isTerminal: boolean): Palette {
  const noColor = (Deno.env.get("NO_COLOR") ?? "") !== "";
  return isTerminal && !noColor ? ANSI : PLAIN;
}
