/**
 * The doc examples that `deno test --doc` runs are tests: an example whose claim is broken
 * fails the run (console.assert would only log).
 */
import { match as assertMatch, ok as assert, strictEqual as equal } from "node:assert/strict";

const MODULE = new URL("../grammar/duration.ts", import.meta.url);

/** Runs `deno test --doc` on one module and returns its exit code and output. */
async function docTest(file: string): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--quiet", "--no-config", "--no-check", "--doc", file],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, out: d.decode(out.stdout) + d.decode(out.stderr) };
}

Deno.test("a doc example passes as written and fails when its claim is broken", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const source = await Deno.readTextFile(MODULE);
    const claim = 'assert.equal(parseDuration("1.5s", "sleep"), 1500);';
    assert(
      source.includes(claim),
      "grammar/duration.ts's example makes the claim this test breaks",
    );
    // The module's neighbours, which it imports (grammar/ imports nothing outside itself).
    for await (const entry of Deno.readDir(new URL(".", MODULE))) {
      if (entry.isFile) await Deno.copyFile(new URL(entry.name, MODULE), `${dir}/${entry.name}`);
    }
    await Deno.writeTextFile(`${dir}/duration.ts`, source);
    equal((await docTest(`${dir}/duration.ts`)).code, 0);

    await Deno.writeTextFile(
      `${dir}/duration.ts`,
      source.replace(claim, claim.replace("1500", "1501")),
    );
    const broken = await docTest(`${dir}/duration.ts`);
    equal(broken.code, 1, broken.out);
    assertMatch(broken.out, /AssertionError/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
