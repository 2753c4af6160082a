/**
 * `sockit test --chunk N --delay D`: received bytes delivered in reads of at most N bytes, each
 * D late, so a script that passes only because of lucky segmentation is caught.
 */
import assert from "node:assert/strict";
import { findScripts } from "../session/files.ts";
import { replayFile } from "../session/run.ts";
import { sockit } from "./_helpers.ts";

const SCRIPTS = new URL("../scripts/", import.meta.url).pathname;
const LUCKY = new URL("../scripts/_fixtures/segmentation/lucky.sockit", import.meta.url).pathname;

for (const file of findScripts([SCRIPTS])) {
  Deno.test(`${file.slice(SCRIPTS.length)} passes with every received chunk delivered one byte at a time`, async () => {
    const result = await replayFile(file, { chunk: 1 });
    assert.equal(result.status, "passed", result.failure?.reason);
  });
}

Deno.test("a script that relies on one read holding all the bytes passes as read, and fails under --chunk or --delay", async () => {
  assert.equal((await replayFile(LUCKY)).status, "passed");
  const chunked = await replayFile(LUCKY, { chunk: 4, delay: 10 });
  assert.equal(chunked.status, "failed");
  assert.equal(chunked.failure?.line, 10);
  assert.equal(chunked.failure?.reason, "the command succeeded, but the script expects it to fail");
});

Deno.test("a recv observation is a claim about the stream, so it passes one byte at a time with a delay", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/stream.sockit`;
  await Deno.writeTextFile(
    file,
    [
      "serve echo tcp e :0",
      "open tcp a ${e.local}",
      "sendline a hello world",
      "recv a",
      '  "hello world\\n"',
      "recv a --timeout 100ms",
      '  ! Cannot recv from "a": timed out after 100ms (nothing buffered)',
    ].join("\n"),
  );
  const result = await replayFile(file, { chunk: 1, delay: 2 });
  assert.equal(result.status, "passed", result.failure?.reason);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sockit test --chunk 1 --delay 5ms fails the lucky script and names its line", async () => {
  const run = await sockit(["test", "--chunk", "1", "--delay", "5ms", LUCKY]);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /FAIL .*lucky\.sockit:10: the command succeeded/);
  const bad = await sockit(["test", "--chunk", "0", LUCKY]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /test --chunk: expected a positive number of bytes, got "0"/);
});
