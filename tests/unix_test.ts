import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { as, eventually } from "./_helpers.ts";
import { failure, spawnPeer, text } from "./_peers.ts";

/** A fresh temp dir, removed afterwards. */
async function tempDir(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-unix-" });
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

/**
 * Waits until something accepts on the socket file: socat creates the file when it binds, a
 * moment before it listens, so the file alone is not enough. Each probe is a connection.
 */
async function waitForListener(path: string): Promise<void> {
  await eventually(async () => {
    try {
      (await Deno.connect({ transport: "unix", path })).close();
      return true;
    } catch {
      return false;
    }
  }, `a listener on ${path}`);
}

/** Leaves a socket file that nobody listens on, as a crashed earlier run would. */
async function staleSocket(path: string): Promise<void> {
  // python binds and exits without unlinking (Deno's own listener removes its file on close).
  const script = "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])";
  const out = await new Deno.Command("python3", { args: ["-c", script, path] }).output();
  if (!out.success) throw new Error("python3 could not leave a stale socket");
}

Deno.test("open unix talks to a socat echo server on a socket file", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/echo.sock`;
  // fork: the probe connections of waitForListener each get their own cat.
  await using _peer = spawnPeer("socat", [`UNIX-LISTEN:${path},fork`, "EXEC:cat"]);
  await waitForListener(path);
  await using shell = new Shell({ timeout: 3000 });
  const a = as(await shell.execute(`open unix a ${path}`), "socket");
  assertEquals([a.info.kind, a.info.remote], ["unix", path]);
  await shell.execute("sendline a over unix");
  assertEquals(text(await shell.execute("recvline a")), "over unix\n");
});

Deno.test("listen unix names accepted socat clients srv.1 and answers them", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/srv.sock`;
  await using shell = new Shell({ timeout: 3000 });
  const srv = as(await shell.execute(`listen unix srv ${path}`), "socket");
  assertEquals([srv.info.kind, srv.info.local, srv.info.state], ["unix", path, "listening"]);
  await using client = spawnPeer("socat", ["-t", "2", "-", `UNIX-CONNECT:${path}`]);
  await client.write("hello server\n");
  const child = as(await shell.execute("accept srv"), "socket");
  assertEquals(child.info.name, "srv.1");
  assertEquals(text(await shell.execute("recvline srv.1")), "hello server\n");
  await shell.execute("sendline srv.1 hello client");
  await client.waitFor(/hello client\n/);
});

Deno.test("a missing Unix socket path is a one-line error and the shell goes on", async () => {
  await using tmp = await tempDir();
  await using shell = new Shell();
  assertEquals(
    await failure(shell, `open unix a ${tmp.dir}/nothing.sock`),
    `error: Cannot open "a": no socket file at ${tmp.dir}/nothing.sock`,
  );
  assertEquals(as(await shell.execute("ls"), "table").rows, []);
});

Deno.test("a stale socket file is reported, and replaced only with --force", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/stale.sock`;
  await staleSocket(path);
  await using shell = new Shell({ timeout: 2000 });
  assertEquals(
    await failure(shell, `open unix a ${path}`),
    `error: Cannot open "a": connection refused: nothing listens on ${path} (a stale socket file?)`,
  );
  assertEquals(
    await failure(shell, `listen unix srv ${path}`),
    `error: Cannot listen "srv": ${path} is a stale socket file (nothing answers on it); ` +
      "add --force to replace it",
  );
  const srv = as(await shell.execute(`listen unix srv ${path} --force`), "socket");
  assertEquals(srv.info.note, "replaced a stale socket file");
  await shell.execute(`open unix a ${path}`);
  assertEquals(as(await shell.execute("accept srv"), "socket").info.name, "srv.1");
});

Deno.test("listen unix never deletes a file that is not a socket, even with --force", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/precious.txt`;
  await Deno.writeTextFile(path, "keep me");
  await using shell = new Shell();
  for (const line of [`listen unix srv ${path}`, `listen unix srv ${path} --force`]) {
    assertEquals(
      await failure(shell, line),
      `error: Cannot listen "srv": ${path} exists and is a file, not a socket; leaving it alone`,
    );
  }
  assertEquals(await Deno.readTextFile(path), "keep me");
});

Deno.test("listen unix refuses a socket file a running server still answers on", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/busy.sock`;
  await using shell = new Shell();
  await shell.execute(`listen unix first ${path}`);
  assertEquals(
    await failure(shell, `listen unix second ${path} --force`),
    `error: Cannot listen "second": ${path} is in use by a running server`,
  );
});

Deno.test("closing a Unix listener removes the socket file it made", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/gone.sock`;
  await using shell = new Shell();
  await shell.execute(`listen unix srv ${path}`);
  assert((await Deno.lstat(path)).isSocket);
  await shell.execute("close srv");
  await assertMissing(path);
  as(await shell.execute(`listen unix srv ${path}`), "socket");
});

async function assertMissing(path: string): Promise<void> {
  try {
    await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  throw new Error(`${path} still exists`);
}

Deno.test("ncat speaks to a sockit Unix listener too", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/ncat.sock`;
  await using shell = new Shell({ timeout: 3000 });
  await shell.execute(`listen unix srv ${path}`);
  await using client = spawnPeer("ncat", ["-U", path]);
  await client.write("via ncat\n");
  await shell.execute("accept srv");
  assertEquals(text(await shell.execute("recvline srv.1")), "via ncat\n");
  await shell.execute("sendline srv.1 bye");
  await client.waitFor(/bye\n/);
  const row = as(await shell.execute("ls srv.1"), "table").rows[0];
  assertMatch(row.slice(1, 4).join(" "), new RegExp(`^unix open ${path}$`));
});

Deno.test("serve echo unix on a stale socket file reports it and suggests --force, like listen", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/stale.sock`;
  await staleSocket(path);
  await using shell = new Shell({ timeout: 3000 });
  assertEquals(
    await failure(shell, `serve echo unix e ${path}`),
    `error: Cannot serve "e": ${path} is a stale socket file (nothing answers on it); ` +
      "add --force to replace it",
  );
  as(await shell.execute(`serve echo unix e ${path} --force`), "socket");
  await shell.execute(`open unix a ${path}`);
  await shell.execute("sendline a echoed over the replaced file");
  assertEquals(text(await shell.execute("recvline a")), "echoed over the replaced file\n");
  await shell.execute("close e");
  await assertMissing(path);
});

Deno.test("serve echo unix --force never touches a regular file", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/precious.txt`;
  await Deno.writeTextFile(path, "keep me");
  await using shell = new Shell();
  assertEquals(
    await failure(shell, `serve echo unix e ${path} --force`),
    `error: Cannot serve "e": ${path} exists and is a file, not a socket; leaving it alone`,
  );
  assertEquals(await Deno.readTextFile(path), "keep me");
});

for (const start of ["listen unix srv", "serve echo unix srv"]) {
  Deno.test(`${start}: close never removes a file that replaced its socket file`, async () => {
    await using tmp = await tempDir();
    const path = `${tmp.dir}/taken.sock`;
    await using shell = new Shell();
    await shell.execute(`${start} ${path}`);
    // Someone removes our socket file and puts their own socket there (as a new server would).
    await Deno.remove(path);
    await staleSocket(path);
    const theirs = await Deno.lstat(path);
    await shell.execute("close srv");
    const after = await Deno.lstat(path);
    assertEquals([after.isSocket, after.ino, after.dev], [true, theirs.ino, theirs.dev]);
  });
}
