import type { ArgKind } from "../commands/types.ts";
import { binders, dialers } from "../sockets/transports.ts";
import type { Shell } from "./shell.ts";

function kindValues(shell: Shell, kind: ArgKind): string[] {
  switch (kind) {
    case "socket":
      return shell.registry.names();
    case "listener":
      return shell.registry.all().filter((s) => s.info().role === "listener").map((s) => s.name);
    case "kind":
      return [...new Set([...dialers.keys(), ...binders.keys()])];
    case "command":
      return [...shell.commands.keys()];
    case "setting":
      return ["display", "timeout"];
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
    return [...Deno.readDirSync(dir || ".")].map((e) =>
      `${at}${dir}${e.name}${e.isDirectory ? "/" : ""}`
    );
  } catch {
    return [];
  }
}

/**
 * Tab completion for node:readline: commands first, then each command's arguments by kind
 * (socket names, transports, settings, files after `@`) and its `--options`.
 */
export function complete(shell: Shell, line: string): [string[], string] {
  const words = line.split(/\s+/);
  const current = words.at(-1) ?? "";
  const before = words.slice(0, -1).filter((w) => w !== "");
  let candidates: string[];
  if (before.length === 0) candidates = [...shell.commands.keys()];
  else {
    const command = shell.commands.get(before[0]);
    if (!command) return [[], current];
    if (current.startsWith("--")) {
      candidates = (command.options ?? []).map((o) => `--${o.name}`);
    } else {
      const position = before.slice(1).filter((w) => !w.startsWith("--")).length;
      const kinds = command.args ?? [];
      const kind = kinds[Math.min(position, kinds.length - 1)] ?? "none";
      if (kind === "file" || current.startsWith("@")) candidates = fileValues(current);
      else candidates = kindValues(shell, kind);
    }
  }
  const hits = candidates.filter((c) => c.startsWith(current));
  return [hits.length === 1 && !hits[0].endsWith("/") ? [hits[0] + " "] : hits, current];
}
