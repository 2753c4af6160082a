/**
 * Least privilege for replays: a script reads and writes under its own folder and `${tmp}`, and
 * reaches loopback only, unless `--allow-read`, `--allow-write` or `--allow-net` widen it.
 */
import assert from "node:assert/strict";
import { replayFile } from "../session/run.ts";
import { sockit } from "./_helpers.ts";

/** A script folder and, beside it, a folder with a file the script is not given. */
async function folders() {
  const root = await Deno.realPath(await Deno.makeTempDir());
  await Deno.mkdir(`${root}/scripts`);
  await Deno.mkdir(`${root}/secrets`);
  await Deno.writeTextFile(`${root}/secrets/key.txt`, "hunter2");
  await Deno.writeTextFile(`${root}/scripts/own.txt`, "mine");
  return {
    root,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

const SENDS = (path: string) =>
  ["listen tcp srv :0", "open tcp a ${srv.local}", `send a @${path}`, "recv srv.1"].join("\n");

Deno.test("a script that sends a file outside its folder fails naming the file and --allow-read", async () => {
  await using f = await folders();
  const file = `${f.root}/scripts/leak.sockit`;
  await Deno.writeTextFile(file, SENDS(`${f.root}/secrets/key.txt`));
  const result = await replayFile(file);
  assert.equal(result.status, "failed");
  assert.equal(result.failure?.line, 3);
  assert.equal(
    result.failure?.reason,
    `Cannot send to "a": reading "${f.root}/secrets/key.txt" is not allowed; a replay reads only ` +
      `the script's folder and \${tmp} (allow it with --allow-read ${f.root}/secrets)`,
  );
  assert.doesNotMatch(result.failure!.reason, /\n/);
  // Nothing was sent: the policy refused before the command ran.
  assert.equal(result.failure?.sockets?.rows.find((r) => r[0] === "a")?.[6], "0");
});

Deno.test("the same script passes with allowRead naming that folder, and files of its own folder and ${dir} need nothing", async () => {
  await using f = await folders();
  const file = `${f.root}/scripts/leak.sockit`;
  await Deno.writeTextFile(file, SENDS(`${f.root}/secrets/key.txt`) + '\n  "hunter2"\n');
  const allowed = await replayFile(file, { allowRead: [`${f.root}/secrets`] });
  assert.equal(allowed.status, "passed", allowed.failure?.reason);
  await Deno.writeTextFile(file, SENDS("${dir}/own.txt") + '\n  "mine"\n');
  assert.equal((await replayFile(file)).status, "passed");
});

Deno.test("a path that climbs out of the script's folder with .. or a symbolic link is refused", async () => {
  await using f = await folders();
  await Deno.symlink(`${f.root}/secrets`, `${f.root}/scripts/link`);
  const file = `${f.root}/scripts/climb.sockit`;
  for (const path of ["${dir}/../secrets/key.txt", "${dir}/link/key.txt"]) {
    await Deno.writeTextFile(file, SENDS(path));
    const result = await replayFile(file);
    assert.equal(result.status, "failed", path);
    assert.match(result.failure!.reason, /is not allowed; .*--allow-read/);
  }
});

Deno.test("a script that connects or sends to a non-loopback address is refused before any packet, naming --allow-net", async () => {
  await using f = await folders();
  const file = `${f.root}/scripts/net.sockit`;
  await Deno.writeTextFile(file, "open tcp a 192.0.2.1:80\n");
  const tcp = await replayFile(file);
  assert.equal(tcp.status, "failed");
  assert.equal(
    tcp.failure?.reason,
    'Cannot open "a": 192.0.2.1 is not loopback; a replay reaches only loopback ' +
      "(allow it with --allow-net 192.0.2.1)",
  );
  await Deno.writeTextFile(file, "listen udp u :0\nsendto u 192.0.2.1:9 hi\n");
  const udp = await replayFile(file);
  assert.equal(udp.failure?.line, 2);
  assert.match(
    udp.failure!.reason,
    /^Cannot send to "u": 192\.0\.2\.1 is not loopback.*--allow-net 192\.0\.2\.1\)$/,
  );
  await Deno.writeTextFile(file, "listen tcp all 0.0.0.0:0\n");
  assert.match((await replayFile(file)).failure!.reason, /0\.0\.0\.0 is not loopback/);
});

Deno.test("a script that records outside its folder is refused, naming --allow-write", async () => {
  await using f = await folders();
  const file = `${f.root}/scripts/rec.sockit`;
  await Deno.writeTextFile(file, `record start ${f.root}/secrets/out.sockit\n`);
  const result = await replayFile(file);
  assert.match(
    result.failure!.reason,
    /writing ".*secrets\/out\.sockit" is not allowed.*--allow-write/,
  );
});

Deno.test("sockit test --allow-read DIR lets a script read there; without it the run fails", async () => {
  await using f = await folders();
  const file = `${f.root}/scripts/leak.sockit`;
  await Deno.writeTextFile(file, SENDS(`${f.root}/secrets/key.txt`) + '\n  "hunter2"\n');
  const denied = await sockit(["test", file]);
  assert.equal(denied.code, 1);
  assert.match(denied.stdout, /--allow-read .*secrets\)/);
  const allowed = await sockit(["test", "--allow-read", `${f.root}/secrets`, file]);
  assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
});
