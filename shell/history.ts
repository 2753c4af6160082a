import { join } from "node:path";

/** Where the REPL keeps its history: `$XDG_STATE_HOME/sockit/history` or `~/.local/state/…`. */
export function historyPath(): string | undefined {
  const state = Deno.env.get("XDG_STATE_HOME") ||
    (Deno.env.get("HOME") ? join(Deno.env.get("HOME")!, ".local", "state") : undefined);
  return state ? join(state, "sockit", "history") : undefined;
}

/** Loads history, newest first (as node:readline wants it); a missing file is empty history. */
export function loadHistory(path: string | undefined, max = 1000): string[] {
  if (!path) return [];
  try {
    return Deno.readTextFileSync(path).split("\n").filter((l) => l.trim() !== "").slice(-max)
      .reverse();
  } catch {
    return [];
  }
}

/** Appends one line to the history file; history is a convenience, so failures are ignored. */
export function appendHistory(path: string | undefined, line: string): void {
  if (!path || line.trim() === "") return;
  try {
    Deno.mkdirSync(join(path, ".."), { recursive: true });
    Deno.writeTextFileSync(path, line.replace(/\n/g, " ") + "\n", { append: true });
  } catch {
    // read-only home, full disk: the shell still works without history
  }
}
