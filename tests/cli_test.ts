import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { echoPeer, sockit } from "./_helpers.ts";

Deno.test("sockit -c runs commands in order against a peer the test started", async () => {
  await using peer = echoPeer();
  const run = await sockit([
    "-c",
    `open tcp a 127.0.0.1:${peer.addr.port}; sendline a hello; recvline a; send a hex:00ff; recvexact a 2`,
  ]);
  assertEquals(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split("\n");
  assertMatch(lines[0], /^a {2}open {2}tcp 127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+$/);
  assertEquals(lines.slice(1), [
    "sent 6 bytes to a",
    '"hello\\n"',
    "sent 2 bytes to a",
    "00000000  00 ff                                             |..|",
  ]);
});

Deno.test("commands piped on stdin run through the same loop", async () => {
  await using peer = echoPeer();
  const run = await sockit([], `open tcp a 127.0.0.1:${peer.addr.port}\nsend a ping\nrecv a\n`);
  assertEquals(run.code, 0, run.stderr);
  assertMatch(run.stdout, /"ping"\n$/);
});

Deno.test("sockit run FILE runs a file and the first failure stops it with exit code 1", async () => {
  await using peer = echoPeer();
  const file = await Deno.makeTempFile({ suffix: ".txt" });
  try {
    await Deno.writeTextFile(
      file,
      `# a comment\nopen tcp a 127.0.0.1:${peer.addr.port}\nrecv a --timeout 100ms\nsend a never\n`,
    );
    const run = await sockit(["run", file]);
    assertEquals(run.code, 1);
    assertEquals(
      run.stderr.trim(),
      `${file}:3: error: Cannot recv from "a": timed out after 100ms (nothing buffered)`,
    );
    assertEquals(run.stdout.includes("sent"), false);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("an unknown command fails the run with a did-you-mean on one line", async () => {
  const run = await sockit(["-c", "lisen tcp srv :0"]);
  assertEquals(run.code, 1);
  assertEquals(run.stderr.trim(), '-c:1: error: Unknown command "lisen"; did you mean listen?');
});

Deno.test("a missing script file is a one-line error", async () => {
  const run = await sockit(["run", "/no/such/script"]);
  assertEquals(run.code, 1);
  assertEquals(run.stderr.trim(), 'error: Cannot run "/no/such/script": not found');
});

Deno.test("quit ends a batch run with exit code 0 and closes the sockets", async () => {
  const run = await sockit(["-c", "listen tcp srv :0; quit; lisen never reached"]);
  assertEquals(run.code, 0, run.stderr);
});

Deno.test("--display hex shows every received byte as a hexdump", async () => {
  await using peer = echoPeer();
  const run = await sockit([
    "--display",
    "hex",
    "-c",
    `open tcp a 127.0.0.1:${peer.addr.port}; send a hi; recvexact a 2`,
  ]);
  assertEquals(run.code, 0, run.stderr);
  assertMatch(run.stdout, /00000000 {2}68 69 .*\|hi\|\n$/);
});
