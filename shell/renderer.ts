import type { Result } from "../commands/result.ts";
import type { Settings } from "../commands/types.ts";
import { SockitError } from "../grammar/errors.ts";
import type { SocketEvent, SocketInfo } from "../sockets/named_socket.ts";
import { type Palette, PLAIN } from "./colors.ts";
import { render } from "../grammar/render.ts";

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

/** Aligns a table; the header is dimmed. Trailing empty columns are dropped. */
export function renderTable(columns: string[], rows: string[][], c: Palette = PLAIN): string {
  const all = [columns, ...rows];
  const widths = columns.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ").trimEnd();
  if (rows.length === 0) return c.dim("(none)");
  return [c.dim(line(columns)), ...rows.map(line)].join("\n");
}

/** Turns a command's result into the text the shell prints ("" for nothing). */
export function renderResult(result: Result, settings: Settings, c: Palette = PLAIN): string {
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
    case "table":
      return renderTable(result.columns, result.rows, c);
    case "repeated": {
      const last = renderResult(result.last, settings, c);
      return c.dim(result.text) + (last ? `\n${last}` : "");
    }
    case "data": {
      const body = render(result.data, result.display ?? settings.display);
      const from = result.from ? `${c.dim(`from ${result.from}`)} ` : "";
      const cut = result.truncated ? ` ${c.yellow("(truncated)")}` : "";
      const matched = result.matched
        ? `${c.dim(`matched ${result.matched.index} ${result.matched.text}`)}\n`
        : "";
      return `${matched}${from}${c.cyan(body)}${cut}`;
    }
  }
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
      return `${tag} ${event.buffered} bytes waiting ${c.dim(`(recv ${event.name})`)}`;
    case "peer-closed":
      return `${tag} peer closed` +
        (event.buffered ? ` ${c.dim(`(${event.buffered} bytes still buffered)`)}` : "");
    case "error":
      return `${tag} ${c.red(`error: ${event.message}`)}`;
    case "closed":
      return `${tag} closed` + (event.reason ? ` ${c.dim(`(${event.reason})`)}` : "");
  }
}
