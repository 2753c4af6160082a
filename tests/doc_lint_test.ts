/**
 * The published API stays documented: `deno doc --lint mod.ts` (every export has JSDoc, no
 * public type refers to an unexported one) exits 0.
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

Deno.test("deno doc --lint mod.ts finds nothing to fix", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", "mod.ts"],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const errors = new TextDecoder().decode(stderr).split("\n").filter((l) => l.startsWith("error"));
  assert.deepEqual(errors, []);
  assert.equal(code, 0);
});

Deno.test("deno publish --dry-run accepts the package", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  assert.equal(code, 0, text);
  assert.match(text, /Dry run complete/);
});

/**
 * Exports without a runnable example, and why. `runRepl` drives the process's own terminal
 * (node:readline on stdin and stdout); tests/repl_pty_test.ts runs it in a real terminal instead.
 */
const NO_EXAMPLE = new Set(["runRepl"]);

Deno.test("every export of mod.ts has a JSDoc @example, which deno test --doc runs", async () => {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "mod.ts"],
    cwd: root,
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(code, 0);
  const doc = JSON.parse(new TextDecoder().decode(stdout));
  const mod = doc.nodes[new URL("mod.ts", root).href];
  const missing: string[] = [];
  for (const symbol of mod.symbols) {
    for (const declaration of symbol.declarations) {
      const tags: { kind: string }[] = declaration.jsDoc?.tags ?? [];
      if (!tags.some((t) => t.kind === "example") && !NO_EXAMPLE.has(symbol.name)) {
        missing.push(`${symbol.name} (${declaration.location.filename.split("/").at(-1)})`);
      }
    }
  }
  assert.deepEqual(missing, []);
  assert.ok(mod.symbols.length > 50, `only ${mod.symbols.length} exports seen`);
});
