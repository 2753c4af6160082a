/**
 * The layering rules of README's Design section, checked on every source file's imports, so
 * they stay true: grammar/ at the bottom, then sockets/, protocols/, commands/, shell/,
 * session/; `_private` files only from their own folder.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** For each folder, the folders its modules may import from (its own is always allowed). */
const MAY_IMPORT: Record<string, string[]> = {
  grammar: [],
  sockets: ["grammar"],
  log: ["grammar", "sockets"],
  protocols: ["grammar", "sockets"],
  commands: ["grammar", "sockets", "protocols", "log"],
  shell: ["grammar", "sockets", "protocols", "commands"],
  session: ["grammar", "sockets", "protocols", "commands", "shell"],
  diagram: ["grammar", "sockets", "protocols", "commands", "log", "session"],
};

/**
 * What session/ may use of sockets/: addresses, the registry and bind(), not buffers or
 * transports; and the relay with its stages and toxics (`record --proxy --toxic`, `test --through`).
 */
const SOCKETS_PUBLIC = new Set([
  "sockets/address.ts",
  "sockets/registry.ts",
  "sockets/bind.ts",
  "sockets/relay.ts",
  "sockets/relay_pipe.ts",
  "sockets/toxics/toxics.ts",
  "sockets/toxics/parse.ts",
]);

/** Every relative import and re-export of a module (not those in doc comments). */
function importsOf(source: string): string[] {
  const found: string[] = [];
  const re =
    /^(?:import|export)\b[^;]*?from\s+"(\.[^"]+)"|^\s*(?:const|let)?[^/\n]*\bimport\("(\.[^"]+)"\)/gm;
  for (const m of source.matchAll(re)) found.push(m[1] ?? m[2]);
  return found;
}

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) yield path;
  }
}

Deno.test("every folder imports only the layers below it, and _private files stay in their folder", async () => {
  const broken: string[] = [];
  for (const folder of Object.keys(MAY_IMPORT)) {
    for await (const file of sources(folder)) {
      for (const spec of importsOf(await Deno.readTextFile(join(ROOT, file)))) {
        const target = relative(ROOT, join(ROOT, dirname(file), spec));
        const to = target.split("/")[0];
        const name = target.split("/").at(-1)!;
        if (to === folder || target === "version.ts") continue; // the version is for all
        if (name.startsWith("_")) broken.push(`${file} imports ${target}, private to ${to}/`);
        else if (!MAY_IMPORT[folder].includes(to)) broken.push(`${file} imports ${target}`);
        else if (folder === "session" && to === "sockets" && !SOCKETS_PUBLIC.has(target)) {
          broken.push(`${file} imports socket internals: ${target}`);
        }
      }
    }
  }
  assertEquals(broken, []);
});

Deno.test("the import rule check sees imports, re-exports and dynamic imports", () => {
  assertEquals(
    importsOf(
      'import { a } from "./a.ts";\nexport { b } from "../b/b.ts";\n' +
        'const tls = () => import("./tls.ts");\n * import { c } from "./doc.ts";\n',
    ),
    ["./a.ts", "../b/b.ts", "./tls.ts"],
  );
});
