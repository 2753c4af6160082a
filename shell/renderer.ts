import type { Result } from "../commands/result.ts";
import type { Settings } from "../commands/types.ts";
import { SockitError } from "../grammar/errors.ts";
import type { SocketEvent, SocketInfo } from "../sockets/named_socket.ts";
import { type Palette, PLAIN } from "./colors.ts";
import type { DisplayMode } from "../grammar/render.ts";
import { isText, render } from "../grammar/render.ts";
import { plural } from "../grammar/plural.ts";

/**
 * Where results are shown when it is a person's terminal: its width. Without one (batch mode,
 * pipes, recordings) every result is rendered complete and exact.
 */
export interface TerminalView {
  /** Columns of the terminal. */
  columns: number;
}

/**
 * A byte count for people: `512`, `1.2 KiB`, `3.0 MiB` (binary units, one decimal).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { humanBytes } from "./renderer.ts";
 * assert.equal(humanBytes(512), "512");
 * assert.equal(humanBytes(1536), "1.5 KiB");
 * assert.equal(humanBytes(512 * 1024 * 1024), "512.0 MiB");
 * ```
 */
export function humanBytes(n: number): string {
  const units = ["", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? String(n) : `${n.toFixed(1)} ${units[i]}`;
}

/** Visible width of a string that may hold ANSI colour codes. */
export function visibleLength(s: string): number {
  // deno-lint-ignore no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, "").length;
}

/** `a  open  tcp 127.0.0.1:52210 → 127.0.0.1:40211`. */
export function renderSocket(info: SocketInfo, verb: string, c: Palette = PLAIN): string {
  const where = info.remote === "-" ? info.local : `${info.local} → ${info.remote}`;
  const note = info.note ? `  ${c.dim(`(${info.note})`)}` : "";
  return `${c.bold(info.name)}  ${c.green(verb)}  ${info.kind} ${where}${note}`;
}

/** What a table may adapt to a terminal: byte-count columns, and the column cut to fit. */
export interface TableFit {
  /** Columns of byte counts, shown human-readable. */
  counts?: number[];
  /** The column cut with `…` so that rows fit `columns`. */
  fit?: number;
  /** The terminal's width. */
  columns: number;
}

/** Cuts a string to `width` characters, ending in `…` when cut. */
function cut(text: string, width: number): string {
  return text.length <= width ? text : width <= 0 ? "" : text.slice(0, width - 1) + "…";
}

/**
 * Aligns a table; the header is dimmed. Trailing empty columns are dropped. On a terminal
 * (`view`), count columns show as `1.2 KiB` and the `fit` column is cut so lines fit its width.
 */
export function renderTable(
  columns: string[],
  rows: string[][],
  c: Palette = PLAIN,
  view?: TableFit,
): string {
  if (view) {
    const counts = new Set(view.counts ?? []);
    rows = rows.map((r) =>
      r.map((cell, i) => counts.has(i) && /^\d+$/.test(cell) ? humanBytes(Number(cell)) : cell)
    );
    const f = view.fit;
    if (f !== undefined) {
      const widths = columns.map((_, i) =>
        Math.max(...[columns, ...rows].map((r) => (r[i] ?? "").length))
      );
      const before = widths.slice(0, f).reduce((sum, w) => sum + w + 2, 0);
      rows = rows.map((r) => r.map((cell, i) => i === f ? cut(cell, view.columns - before) : cell));
    }
  }
  const all = [columns, ...rows];
  const widths = columns.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ").trimEnd();
  if (rows.length === 0) return c.dim("(none)");
  return [c.dim(line(columns)), ...rows.map(line)].join("\n");
}

/**
 * Received bytes as shown on a terminal: at most `settings.displayLimit` of them (text cut at a
 * character boundary, a dump at a whole line), then one line saying how many were not shown.
 * The form (text or hexdump) is chosen on all the bytes, so a cut never changes it.
 */
function limitedBody(data: Uint8Array, display: DisplayMode, limit: number, c: Palette): string {
  if (limit === 0 || data.length <= limit) return c.cyan(render(data, display));
  const mode = display !== "auto" ? display : isText(data) ? "text" : "hex";
  let end = mode === "hex" ? Math.max(16, limit - (limit % 16)) : limit;
  if (mode === "text") { while (end > 0 && (data[end] & 0xc0) === 0x80) end--; }
  if (end >= data.length) return c.cyan(render(data, display));
  const rest = data.length - end;
  return c.cyan(render(data.subarray(0, end), mode)) + "\n" +
    c.dim(
      `… ${plural(rest, "more byte")} not shown (${data.length} received); ` +
        "--all shows every byte, set display-limit 0 always does",
    );
}

/**
 * Turns a command's result into the text the shell prints ("" for nothing). With a terminal
 * `view` (the REPL), long received data is cut to `set display-limit` and tables fit the width;
 * without one the text is complete and exact (batch, pipes, recordings, replay).
 */
export function renderResult(
  result: Result,
  settings: Settings,
  c: Palette = PLAIN,
  view?: TerminalView,
): string {
  switch (result.kind) {
    case "none":
    case "quit":
      return "";
    case "message":
      return c.dim(result.text);
    case "text":
      return result.text;
    case "socket":
      return renderSocket(result.info, result.verb, c);
    case "table": {
      const fit = view
        ? { columns: view.columns, counts: result.counts, fit: result.fit }
        : undefined;
      const table = renderTable(result.columns, result.rows, c, fit);
      return result.note ? `${table}\n${c.dim(result.note)}` : table;
    }
    case "repeated": {
      const last = renderResult(result.last, settings, c);
      return c.dim(result.text) + (last ? `\n${last}` : "");
    }
    case "data": {
      const display = result.display ?? settings.display;
      const limit = view && !result.all ? settings.displayLimit : 0;
      const body = limitedBody(result.data, display, limit, c);
      const from = result.from ? `${c.dim(`from ${result.from}`)} ` : "";
      const cut = result.truncated ? ` ${c.yellow("(truncated)")}` : "";
      const binary = result.message === "binary" ? ` ${c.dim("(binary)")}` : "";
      const matched = result.matched
        ? `${c.dim(`matched ${result.matched.index} ${result.matched.text}`)}\n`
        : "";
      return `${matched}${from}${body}${cut}${binary}`;
    }
  }
}

/** When the shell started, for `set timestamps relative`. */
const STARTED = performance.now();

/**
 * `text` (an event or received data) with the time in front, as `set timestamps` asks: the wall
 * clock (`14:03:07.512`) or seconds since the shell started (`+3.142`). A text of several lines
 * (a hexdump) gets the time on a line of its own above it. Unchanged when timestamps are off.
 *
 * @example Seconds since start
 * ```ts
 * import assert from "node:assert/strict";
 * import { stamped } from "./renderer.ts";
 * import { shellSettings } from "./shell.ts";
 * const settings = { ...shellSettings(), timestamps: "relative" as const };
 * assert.match(stamped('"hi"', settings), /^\+\d+\.\d{3} "hi"$/);
 * assert.equal(stamped('"hi"', shellSettings()), '"hi"');
 * ```
 */
export function stamped(text: string, settings: Settings, c: Palette = PLAIN): string {
  const mode = settings.timestamps ?? "off";
  if (mode === "off" || text === "") return text;
  let time: string;
  if (mode === "relative") time = `+${((performance.now() - STARTED) / 1000).toFixed(3)}`;
  else {
    const d = new Date();
    const two = (n: number) => String(n).padStart(2, "0");
    time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.` +
      String(d.getMilliseconds()).padStart(3, "0");
  }
  return c.dim(time) + (text.includes("\n") ? "\n" : " ") + text;
}

/** One line for an error: the message, then its hint after a semicolon. */
export function renderError(error: unknown, c: Palette = PLAIN): string {
  if (error instanceof SockitError) {
    return c.red(`error: ${error.message}`) + (error.hint ? c.dim(`; ${error.hint}`) : "");
  }
  const message = error instanceof Error ? error.message : String(error);
  return c.red(`error: ${message}`);
}

/** One line for a socket event, shown above the prompt: `[srv] accepted srv.1 from …`. */
export function renderEvent(event: SocketEvent, c: Palette = PLAIN): string {
  const tag = c.magenta(`[${event.name}]`);
  switch (event.type) {
    case "accepted":
      return `${tag} accepted ${c.bold(event.child)} from ${event.remote}`;
    case "data":
      return `${tag} ${plural(event.buffered, "byte")} waiting ${c.dim(`(recv ${event.name})`)}`;
    case "peer-closed":
      return `${tag} peer closed` + (event.reason ? ` ${c.dim(`(${event.reason})`)}` : "") +
        (event.buffered ? ` ${c.dim(`(${plural(event.buffered, "byte")} still buffered)`)}` : "");
    case "error":
      return `${tag} ${c.red(`error: ${event.message}`)}`;
    case "closed":
      return `${tag} closed` + (event.reason ? ` ${c.dim(`(${event.reason})`)}` : "");
  }
}
