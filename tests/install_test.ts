/**
 * README's install line, run as written from the clone with a fresh HOME and install root (the
 * Deno cache stays shared, so nothing downloads again): the installed `sockit` runs a script
 * against a built-in echo server, records a session, and `sockit test` replays it.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";

const ROOT = new URL("../", import.meta.url).pathname;

/** The `deno install -g …` line of README's Set up section, as words. */
async function installLine(): Promise<string[]> {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const setUp = readme.split(/^## /m).find((s) => s.startsWith("Set up"))!;
  const line = setUp.split("\n").find((l) => l.startsWith("deno install -g "));
  assert.ok(line, "README's Set up shows a deno install -g line");
  return line.split("#")[0].trim().split(/\s+/);
}

async function run(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(command, {
    args,
    ...options,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("the README's deno install -g line installs a sockit that runs scripts and sockit test on a fresh HOME", async () => {
  const home = await Deno.makeTempDir({ prefix: "sockit-home-" });
  const installRoot = await Deno.makeTempDir({ prefix: "sockit-install-" });
  const work = await Deno.makeTempDir({ prefix: "sockit-work-" });
  const env = {
    HOME: home,
    DENO_INSTALL_ROOT: installRoot,
    // The installed shim runs `deno` from PATH: the one running these tests.
    PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}`,
    NO_COLOR: "1",
  };
  try {
    const [deno, ...args] = await installLine();
    assert.equal(deno, "deno");
    const installed = await run(Deno.execPath(), args, { cwd: ROOT, env });
    assert.equal(installed.code, 0, installed.stderr);
    const bin = join(installRoot, "bin", "sockit");

    const script = join(work, "echo.txt");
    await Deno.writeTextFile(
      script,
      "serve echo tcp e :0\nopen tcp a ${e.local}\nsendline a hello\nrecvline a\n",
    );
    const ran = await run(bin, ["run", script], { cwd: work, env });
    assert.equal(ran.stderr, "");
    assert.match(ran.stdout, /^e {2}listening {2}tcp 127\.0\.0\.1:\d+ {2}\(echo\)$/m);
    assert.match(ran.stdout, /^"hello\\n"$/m);
    assert.equal(ran.code, 0);

    const recording = join(work, "echo.sockit");
    const recorded = await run(bin, [
      "--record",
      recording,
      "-c",
      "serve echo tcp e :0; open tcp a ${e.local}; sendline a again; recvline a",
    ], { cwd: work, env });
    assert.equal(recorded.code, 0, recorded.stderr);
    assert.match(await Deno.readTextFile(recording), /^ {2}"again\\n"$/m);

    const passed = await run(bin, ["test", recording], { cwd: work, env });
    assert.equal(passed.code, 0, passed.stdout + passed.stderr);
    assert.match(passed.stdout, /1 passed/);

    // A replay that sees other bytes than the recording fails, with exit code 1.
    const text = await Deno.readTextFile(recording);
    await Deno.writeTextFile(recording, text.replace('"again\\n"', '"other\\n"'));
    const failed = await run(bin, ["test", recording], { cwd: work, env });
    assert.match(failed.stdout + failed.stderr, /1 failed/);
    assert.equal(failed.code, 1);
  } finally {
    for (const dir of [home, installRoot, work]) await Deno.remove(dir, { recursive: true });
  }
});
