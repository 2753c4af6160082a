import type { ArgKind } from "../commands/types.ts";
import { SETTINGS } from "../commands/set.ts";
import { FRAME_NAMES } from "../protocols/framing.ts";
import { PROTOCOLS } from "../protocols/mod.ts";
import { binders, dialers } from "../sockets/transports.ts";
import type { Shell } from "./shell.ts";

/**
 * Words a command takes at a position that its argument kinds do not tell: `serve PROTOCOL`,
 * `frame NAME FRAME`, `multicast NAME join|leave`, and a setting's values after `set KEY`.
 * `words` are the arguments typed before the one being completed.
 */
const CHOICES: Record<string, (position: number, words: string[]) => readonly string[]> = {
  serve: (p) => p === 0 ? [...PROTOCOLS.keys()] : [],
  frame: (p) => p === 1 ? FRAME_NAMES : [],
  multicast: (p) => p === 1 ? ["join", "leave"] : [],
  set: (p, words) => p === 1 ? SETTINGS.get(words[0])?.values ?? [] : [],
};

function kindValues(shell: Shell, kind: ArgKind): string[] {
  const open = () => shell.registry.all().filter((s) => !s.closed);
  switch (kind) {
    case "socket":
      return open().map((s) => s.name);
    case "listener":
      return open().filter((s) => s.info().role === "listener").map((s) => s.name);
    case "kind":
      return [...new Set([...dialers.keys(), ...binders.keys()])];
    case "command":
      return [...shell.commands.keys()];
    case "setting":
      return [...SETTINGS.keys()];
    default:
      return [];
  }
}

function fileValues(prefix: string): string[] {
  const at = prefix.startsWith("@") ? "@" : "";
  const path = prefix.slice(at.length);
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash + 1) : "";
  try {
    return [...Deno.readDirSync(dir || ".")]
      .map((e) => `${at}${dir}${e.name}${e.isDirectory ? "/" : ""}`)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Tab completion for node:readline: commands first, then each command's arguments by kind
 * (open socket names, transports, settings, files after `@`, sorted), the fixed words some
 * positions take (protocols, frames, `join`/`leave`, a setting's values) and `--options`.
 */
export function complete(shell: Shell, line: string): [string[], string] {
  const words = line.split(/\s+/);
  const current = words.at(-1) ?? "";
  const before = words.slice(0, -1).filter((w) => w !== "");
  let candidates: readonly string[];
  if (before.length === 0) candidates = [...shell.commands.keys()];
  else {
    const command = shell.commands.get(before[0]);
    if (!command) return [[], current];
    if (current.startsWith("--")) {
      candidates = (command.options ?? []).map((o) => `--${o.name}`);
    } else {
      const typed = before.slice(1).filter((w) => !w.startsWith("--"));
      const position = typed.length;
      const kinds = command.args ?? [];
      const kind = kinds[Math.min(position, kinds.length - 1)] ?? "none";
      const choices = CHOICES[command.name]?.(position, typed) ?? [];
      if (kind === "file" || current.startsWith("@")) candidates = fileValues(current);
      else if (choices.length > 0) candidates = choices;
      else candidates = kindValues(shell, kind);
    }
  }
  const hits = candidates.filter((c) => c.startsWith(current));
  return [hits.length === 1 && !hits[0].endsWith("/") ? [hits[0] + " "] : hits, current];
}
