/**
 * `deno task compile` and `compile-native`, with their own flags but a temporary `--output`:
 * either a binary that runs (`--version`), or — where Deno's runtime cannot be downloaded, as on
 * the machines this is built on — exactly one line saying so. Never a stack trace.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { VERSION } from "../version.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const decoder = new TextDecoder();
const ONE_LINE = new RegExp(
  String.raw`^sockit: deno compile could not download Deno's runtime \([\w.-]+: [^\n]+\): ` +
    String.raw`run sockit with "deno task sockit" or "deno install -g …" \(README: Set up\) ` +
    String.raw`instead, or compile on a machine that reaches [\w.-]+\n$`,
);

/** A task's words after `deno`, from deno.json. */
async function task(name: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  return config.tasks[name].split(/\s+/).slice(1);
}

async function deno(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

for (const name of ["compile", "compile-native"]) {
  Deno.test(`deno task ${name} builds a binary that runs, or says in one line why it cannot`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "sockit-compile-" });
    try {
      const args = await task(name);
      const at = args.indexOf("--output");
      assert.ok(at > 0 && args.includes("scripts/compile.ts"), args.join(" "));
      const output = join(dir, "sockit");
      args[at + 1] = output;
      const built = await deno(args);
      if (built.code === 0) {
        const version = await new Deno.Command(output, { args: ["--version"] }).output();
        assert.equal(decoder.decode(version.stdout), `${VERSION}\n`);
      } else {
        assert.match(built.stderr, ONE_LINE);
        assert.equal(built.stdout, "");
        assert.equal(built.code, 1);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a deno compile failure other than the download passes through as Deno wrote it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-compile-" });
  try {
    const args = await task("compile");
    args[args.indexOf("--output") + 1] = join(dir, "sockit");
    const built = await deno([...args.slice(0, -1), "no_such_entry.ts"]);
    assert.match(built.stderr, /no_such_entry\.ts/);
    assert.doesNotMatch(built.stderr, /could not download/);
    assert.notEqual(built.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("README names the permissions the compiled binary carries, as the compile task grants them", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const paragraph = readme.split("\n\n").find((p) => p.startsWith("**A single binary.**"))!;
  const claimed = paragraph.slice(0, paragraph.indexOf("(the native one"));
  const args = await task("compile");
  const granted = args.slice(args.indexOf("scripts/compile.ts") + 1)
    .filter((a) => a.startsWith("--allow-"));
  assert.deepEqual(claimed.match(/--allow-[a-z]+/g), granted);
  assert.ok(!granted.includes("--allow-run"));
  const native = await task("compile-native");
  assert.deepEqual(
    native.slice(native.indexOf("scripts/compile.ts") + 1).filter((a) => a.startsWith("--allow-")),
    ["--allow-ffi", ...granted],
  );
});
