/**
 * Finding scripts: files, folders (every `*.sockit` below, sorted, skipping folders whose
 * name starts with `_` or `.`) and simple globs
 * (`scripts/*.sockit`, `tests/**\/*.sockit`). Synchronous, so that `Deno.test` registration can
 * use it at module load.
 *
 * @example Finding scripts in a folder
 * ```ts
 * import { findScripts } from "./files.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/sub`);
 * await Deno.writeTextFile(`${dir}/b.sockit`, "");
 * await Deno.writeTextFile(`${dir}/sub/a.sockit`, "");
 * await Deno.writeTextFile(`${dir}/notes.txt`, "");
 * assert.deepEqual(findScripts([dir]), [`${dir}/b.sockit`, `${dir}/sub/a.sockit`]);
 * assert.deepEqual(findScripts([`${dir}/*.sockit`]), [`${dir}/b.sockit`]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { SockitError } from "../grammar/errors.ts";

/** The extension of script files. */
export const SCRIPT_EXTENSION = ".sockit";

function walk(dir: string, out: string[]): void {
  const entries = [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    // Folders named _x or .x (such as scripts/_fixtures, which must fail) are skipped when
    // walking; name them to run them.
    if (e.isDirectory) {
      if (!e.name.startsWith("_") && !e.name.startsWith(".")) walk(path, out);
    } else if (e.name.endsWith(SCRIPT_EXTENSION)) out.push(path);
  }
}

function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      source += glob[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += glob[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/**
 * Every script the paths name, in order, without duplicates: a file as is, a folder's
 * `*.sockit` files recursively, a glob's matches. Throws when a path matches nothing.
 */
export function findScripts(paths: (string | URL)[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    const path = (p instanceof URL ? fileURLToPath(p) : p).replace(/\/+$/, "") || "/";
    const found: string[] = [];
    if (/[*?]/.test(path)) {
      const first = path.search(/[*?]/);
      const root = path.slice(0, path.lastIndexOf("/", first) + 1) || ".";
      const all: string[] = [];
      walk(root === "./" ? "." : root.replace(/\/$/, "") || "/", all);
      const re = globToRegExp(path.startsWith("./") ? path.slice(2) : path);
      found.push(...all.map((f) => f.replace(/^\.\//, "")).filter((f) => re.test(f)));
    } else {
      let info: Deno.FileInfo;
      try {
        info = Deno.statSync(path);
      } catch {
        throw new SockitError(`Cannot find scripts in "${path}": not found`);
      }
      if (info.isDirectory) walk(path, found);
      else found.push(path);
    }
    if (found.length === 0) {
      throw new SockitError(`Cannot find scripts in "${path}": no ${SCRIPT_EXTENSION} files`);
    }
    for (const f of found) if (!out.includes(f)) out.push(f);
  }
  return out;
}
