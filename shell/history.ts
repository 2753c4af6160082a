import { join } from "node:path";

/** How many lines the history keeps (in memory and in its file). */
export const HISTORY_SIZE = 1000;

/** Where the REPL keeps its history: `$XDG_STATE_HOME/sockit/history` or `~/.local/state/…`. */
export function historyPath(): string | undefined {
  const state = Deno.env.get("XDG_STATE_HOME") ||
    (Deno.env.get("HOME") ? join(Deno.env.get("HOME")!, ".local", "state") : undefined);
  return state ? join(state, "sockit", "history") : undefined;
}

/**
 * Whether a typed line goes into the history: not blank, and not typed with a leading space
 * (the shells' `ignorespace` habit, for lines holding secrets such as `send a "pw: hunter2"`).
 */
export function keepsInHistory(line: string): boolean {
  return line.trim() !== "" && !/^\s/.test(line);
}

/**
 * Loads history, newest first (as node:readline wants it); a missing file is empty history.
 * The file holds payloads people typed, so it is made private (0600) whatever it was, and cut
 * back to the last `max` lines when it has grown past them.
 */
export function loadHistory(path: string | undefined, max = HISTORY_SIZE): string[] {
  if (!path) return [];
  try {
    const lines = Deno.readTextFileSync(path).split("\n").filter((l) => l.trim() !== "");
    Deno.chmodSync(path, 0o600);
    const kept = lines.slice(-max);
    if (kept.length < lines.length) {
      Deno.writeTextFileSync(path, kept.join("\n") + "\n", { mode: 0o600 });
    }
    return kept.reverse();
  } catch {
    return [];
  }
}

/**
 * Appends one line to the history file (created 0600) unless {@linkcode keepsInHistory} says
 * no; history is a convenience, so failures are ignored.
 */
export function appendHistory(path: string | undefined, line: string): void {
  if (!path || !keepsInHistory(line)) return;
  try {
    Deno.mkdirSync(join(path, ".."), { recursive: true, mode: 0o700 });
    Deno.writeTextFileSync(path, line.replace(/\n/g, " ") + "\n", { append: true, mode: 0o600 });
  } catch {
    // read-only home, full disk: the shell still works without history
  }
}
