/**
 * Deno's `node:assert/strict` has a trap: its default export is strict, but the named exports
 * `equal`, `deepEqual`, `notEqual` and `notDeepEqual` compare loosely (`equal("16", 16)` and
 * `deepEqual({ a: "1" }, { a: 1 })` pass). A test written with them can pass on a wrong value,
 * so no file of ours imports them by name: `strictEqual`, `deepStrictEqual` (aliased as
 * wished) or the default export's methods instead.
 */
import assert from "node:assert/strict";
import { deepStrictEqual, strictEqual } from "node:assert/strict";

const LOOSE = new Set(["equal", "deepEqual", "notEqual", "notDeepEqual"]);
const IMPORT = /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"node:assert\/strict"/gs;

/** The loose names a source text imports by name from node:assert/strict. */
function looseImports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    for (const part of m[1].split(",")) {
      const name = part.replace(/^\s*\*?\s*/, "").split(/\s+as\s+/)[0].trim();
      if (LOOSE.has(name)) found.push(name);
    }
  }
  return found;
}

async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

Deno.test("the named equal and deepEqual of node:assert/strict really are loose here", () => {
  // Why the rule below exists; if Deno makes them strict, this test says so.
  const { equal, deepEqual } = assert as unknown as Record<
    string,
    (a: unknown, b: unknown) => void
  >;
  assert.throws(() => equal("16", 16)); // the default export's methods are strict
  assert.throws(() => deepEqual({ a: "1" }, { a: 1 }));
});

Deno.test("the scan finds a loose named import, aliased or not, on one line or several", () => {
  // Built in pieces, so that no rewrite of real imports ever touches these samples.
  const from = ' from "node:assert' + '/strict";';
  deepStrictEqual(looseImports("import { equal, ok }" + from), ["equal"]);
  deepStrictEqual(looseImports("import {\n  deepEqual as assertEquals,\n  match,\n}" + from), [
    "deepEqual",
  ]);
  deepStrictEqual(looseImports("import { strictEqual as equal }" + from), []);
});

Deno.test("no file imports the loose equal, deepEqual, notEqual or notDeepEqual by name", async () => {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const offenders: string[] = [];
  for await (const path of sources(root)) {
    const loose = looseImports(await Deno.readTextFile(path));
    if (loose.length) offenders.push(`${path.slice(root.length + 1)}: ${loose.join(", ")}`);
  }
  strictEqual(offenders.join("\n"), "");
});
