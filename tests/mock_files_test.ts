/**
 * `sockit mock` and `@file` payloads: a recording may name files of its own folder only, and a
 * deviation never shows their bytes.
 */
import assert from "node:assert/strict";
import { parseScript } from "../session/parse.ts";
import { startMock } from "../session/mock.ts";
import { eventually } from "./_helpers.ts";

async function folder() {
  const root = await Deno.realPath(await Deno.makeTempDir());
  await Deno.mkdir(`${root}/rec`);
  await Deno.writeTextFile(`${root}/secret.txt`, "hunter2-top-secret");
  await Deno.writeTextFile(`${root}/rec/body.txt`, "PASSWORD=swordfish\n");
  return {
    root,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

const recording = (path: string) =>
  [
    "open tcp c1 127.0.0.1:1",
    `send c1 @${path}`,
    "recv c1",
    '  "ok\\n"',
    "close c1",
  ].join("\n");

Deno.test("the mock refuses a recording whose @file names a file outside the recording's folder", async () => {
  await using f = await folder();
  const file = `${f.root}/rec/leak.sockit`;
  await assert.rejects(
    startMock(parseScript(recording(`${f.root}/secret.txt`), file)),
    (error: Error) => {
      assert.equal(
        error.message,
        `${file}:2:1: Cannot mock "${file}": reading "${f.root}/secret.txt" is not allowed; ` +
          `the mock reads only the recording's folder (allow it with --allow-read ${f.root})`,
      );
      return true;
    },
  );
  await assert.rejects(
    startMock(parseScript(recording(`${f.root}/rec/../secret.txt`), file)),
    /is not allowed/,
  );
  await using allowed = await startMock(parseScript(recording(`${f.root}/secret.txt`), file), {
    allowRead: [f.root],
  });
  assert.match(allowed.address, /^127\.0\.0\.1:\d+$/);
});

Deno.test("a client that deviates from @file bytes gets a diagnostic with their length and hash, never the bytes", async () => {
  await using f = await folder();
  const file = `${f.root}/rec/body.sockit`;
  await using mock = await startMock(parseScript(recording(`${f.root}/rec/body.txt`), file));
  const [hostname, port] = mock.address.split(":");
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(new TextEncoder().encode("PASSWORD=sword_ish\n"));
  const diagnostic = await eventually(() => mock.diagnostics[0], "a diagnostic");
  conn.close();
  assert.equal(
    diagnostic.replace(/sha256 [0-9a-f]{16}/, "sha256 HASH"),
    `${file}:2: connection 1 (recorded as c1): the client sent different bytes; expected 19 ` +
      `bytes from @${f.root}/rec/body.txt (sha256 HASH…), differing at byte 14`,
  );
  assert.doesNotMatch(diagnostic, /swordfish|PASSWORD/);
});
