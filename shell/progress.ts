/**
 * The progress bar of long transfers (`send @file`, `recv… --to FILE`): one line,
 * `sending @big.bin  42.0 MiB / 256.0 MiB  16%  310.0 MiB/s  ETA 1s`, redrawn in place with `\r`
 * at most ten times a second, cut to the terminal's width and erased when the transfer ends.
 * The command layer reports bytes through `CommandContext.progress`; this module only draws, and
 * only where its owner says there is a terminal (the REPL; batch runs whose stderr is one, not
 * `--json`).
 *
 * @example Drawing into a string
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgressBar } from "./progress.ts";
 * let screen = "";
 * let now = 0;
 * const bar = new ProgressBar({ write: (s) => screen += s, columns: () => 80, now: () => now });
 * bar.start();
 * now = 500;
 * bar.report(16 * 2 ** 20, 64 * 2 ** 20, "sending @big.bin");
 * assert.equal(screen, "\r\x1b[Ksending @big.bin  16.0 MiB / 64.0 MiB  25%  32.0 MiB/s  ETA 2s");
 * bar.clear();
 * assert.ok(screen.endsWith("\r\x1b[K"));
 * ```
 *
 * @module
 */
import { humanBytes } from "./renderer.ts";
import { type Palette, PLAIN } from "./colors.ts";

/** What one drawn line shows. */
export interface ProgressView {
  /** What is moving: `sending @big.bin`, `receiving a → out.bin`. */
  label: string;
  /** Bytes done. */
  done: number;
  /** Bytes in all; 0 when not known (`recvall --to`): no percentage, no ETA. */
  total: number;
  /** Seconds since the transfer started. */
  seconds: number;
  /** The terminal's width: the line stays shorter than it. */
  columns: number;
}

/** A byte count with a unit: `512 B`, `1.5 KiB`. */
function bytes(n: number): string {
  const text = humanBytes(Math.round(n));
  return /\d$/.test(text) ? `${text} B` : text;
}

/**
 * Whole seconds left, for people: `7s`, `2m05s`, `1h02m`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatEta } from "./progress.ts";
 * assert.equal(formatEta(0.2), "1s");
 * assert.equal(formatEta(125), "2m05s");
 * assert.equal(formatEta(3720), "1h02m");
 * ```
 */
export function formatEta(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  const two = (n: number) => String(n).padStart(2, "0");
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${two(Math.floor((s % 3600) / 60))}m`;
}

/**
 * The bar's text, without colour or control codes: label, bytes (of the total), percentage,
 * rate and ETA, two spaces apart. To fit `columns - 1` it drops the ETA, then the rate, then the
 * percentage, then cuts the label with `…`.
 *
 * @example Fitting a narrow terminal
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProgress } from "./progress.ts";
 * const view = { label: "sending @big.bin", done: 2 ** 20, total: 4 * 2 ** 20, seconds: 1 };
 * assert.equal(
 *   formatProgress({ ...view, columns: 80 }),
 *   "sending @big.bin  1.0 MiB / 4.0 MiB  25%  1.0 MiB/s  ETA 3s",
 * );
 * assert.equal(formatProgress({ ...view, columns: 41 }), "sending @big.bin  1.0 MiB / 4.0 MiB  25%");
 * assert.equal(formatProgress({ ...view, columns: 30 }), "sending @…  1.0 MiB / 4.0 MiB");
 * assert.equal(formatProgress({ ...view, columns: 12 }), "1.0 MiB / 4");
 * ```
 */
export function formatProgress(view: ProgressView): string {
  const { label, done, total, seconds } = view;
  const width = Math.max(1, view.columns - 1); // the last column would wrap on some terminals
  const rate = seconds > 0 ? done / seconds : 0;
  const amount = total > 0 ? `${bytes(done)} / ${bytes(total)}` : bytes(done);
  const optional: string[] = [];
  if (total > 0) optional.push(`${Math.min(100, Math.floor((done / total) * 100))}%`);
  if (rate > 0) optional.push(`${bytes(rate)}/s`);
  if (total > 0 && rate > 0 && done < total) {
    optional.push(`ETA ${formatEta((total - done) / rate)}`);
  }
  for (let keep = optional.length; keep >= 0; keep--) {
    const line = [label, amount, ...optional.slice(0, keep)].join("  ");
    if (line.length <= width) return line;
  }
  const rest = `  ${amount}`;
  const room = width - rest.length;
  if (room >= 2) return label.slice(0, room - 1) + "…" + rest;
  return amount.slice(0, width);
}

/**
 * Where a {@linkcode ProgressBar} draws, and when; all but `write` optional.
 *
 * @example A bar that shows any transfer at once, on a 40-column terminal
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgressBar, type ProgressOptions } from "./progress.ts";
 * let screen = "";
 * const options: ProgressOptions = {
 *   write: (s) => screen += s,
 *   columns: () => 40,
 *   minTotal: 0,
 *   now: () => 1000,
 * };
 * new ProgressBar(options).report(1, 4, "recv a --to out.bin");
 * assert.ok(screen.length > 0 && screen.length <= 40 + "\r\x1b[K".length);
 * ```
 */
export interface ProgressOptions {
  /** Writes raw text to the terminal (no newline is added). */
  write(text: string): void;
  /** The terminal's width now (default 80). */
  columns?: () => number;
  /** The clock, in ms (default `performance.now`). */
  now?: () => number;
  /** A transfer of at least this many bytes shows at once (default 16 MiB). */
  minTotal?: number;
  /** Any other shows once it has run this long, in ms (default 1000). */
  minDuration?: number;
  /** Redraws at most this often, in ms (default 100: ten times a second). */
  interval?: number;
  /** Colours (default none): the bar is dimmed. */
  palette?: Palette;
}

/**
 * One line of progress on a terminal. {@linkcode ProgressBar.start} marks a command's start,
 * {@linkcode ProgressBar.report} is the data path's callback (bytes done of the total, and a
 * label), {@linkcode ProgressBar.clear} erases the line: call it before printing anything else.
 * Short transfers (under `minTotal` bytes and `minDuration`) never show, so they cannot flicker.
 *
 * @example A short transfer never shows
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgressBar } from "./progress.ts";
 * let screen = "";
 * const bar = new ProgressBar({ write: (s) => screen += s, now: () => 0 });
 * bar.start();
 * bar.report(10, 100, "sending @small.txt");
 * assert.equal(screen, "");
 * assert.equal(bar.shown, false);
 * ```
 */
export class ProgressBar {
  #write: (text: string) => void;
  #columns: () => number;
  #now: () => number;
  #minTotal: number;
  #minDuration: number;
  #interval: number;
  #palette: Palette;
  #started = 0;
  #drawn = -Infinity;
  #shown = false;

  /** A bar drawing through `options.write`; nothing shows before `report`. */
  constructor(options: ProgressOptions) {
    this.#write = options.write;
    this.#columns = options.columns ?? (() => 80);
    this.#now = options.now ?? (() => performance.now());
    this.#minTotal = options.minTotal ?? 16 * 1024 * 1024;
    this.#minDuration = options.minDuration ?? 1000;
    this.#interval = options.interval ?? 100;
    this.#palette = options.palette ?? PLAIN;
  }

  /** Whether the line is on the screen now. */
  get shown(): boolean {
    return this.#shown;
  }

  /** A new transfer starts now (a command begins): erases any line, restarts the clock. */
  start(): void {
    this.clear();
    this.#started = this.#now();
  }

  /** `done` of `total` bytes (0: unknown) have moved; redraws when it is time. */
  report(done: number, total: number, label: string): void {
    const now = this.#now();
    const elapsed = now - this.#started;
    if (total > 0 && done >= total) return; // finished: the result line comes next
    if (!this.#shown && total < this.#minTotal && elapsed < this.#minDuration) return;
    if (now - this.#drawn < this.#interval) return;
    this.#drawn = now;
    this.#shown = true;
    const line = formatProgress({
      label,
      done,
      total,
      seconds: elapsed / 1000,
      columns: this.#columns(),
    });
    this.#write(`\r\x1b[K${this.#palette.dim(line)}`);
  }

  /** Erases the line if it shows; the next report draws at once. */
  clear(): void {
    if (this.#shown) this.#write("\r\x1b[K");
    this.#shown = false;
    this.#drawn = -Infinity;
  }
}
