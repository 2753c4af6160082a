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
