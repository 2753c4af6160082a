import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { type ErrorCode, errorCode } from "../grammar/errors.ts";
import { Shell } from "../shell/shell.ts";
import { as, closedPort } from "./_helpers.ts";

/** Runs a line that must fail and returns the code of its error. */
async function codeOf(shell: Shell, line: string): Promise<ErrorCode> {
  try {
    await shell.execute(line);
  } catch (error) {
    return errorCode(error);
  }
  throw new Error(`expected "${line}" to fail`);
}

/** A shell with a listener `srv`, a client `a` and its accepted side `srv.1`. */
async function connectedShell(): Promise<Shell> {
  const shell = new Shell({ timeout: 2000 });
  const srv = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket");
  await shell.execute(`open tcp a ${srv.info.local}`);
  await shell.execute("accept srv");
  return shell;
}

Deno.test("an unknown command fails with the code unknown-command", async () => {
  await using shell = new Shell();
  assertEquals(await codeOf(shell, "sned a hi"), "unknown-command");
  assertEquals(await codeOf(shell, "help sned"), "unknown-command");
});

Deno.test("a read that waits past its deadline fails with the code timeout", async () => {
  await using shell = await connectedShell();
  assertEquals(await codeOf(shell, "recv a --timeout 50ms"), "timeout");
  assertEquals(await codeOf(shell, "accept srv --timeout 50ms"), "timeout");
});

Deno.test("a read after the peer closed fails with the code eof", async () => {
  await using shell = await connectedShell();
  await shell.execute("close srv.1");
  assertEquals(await codeOf(shell, "recv a"), "eof");
});

Deno.test("a cancelled read fails with the code cancelled", async () => {
  await using shell = await connectedShell();
  const stop = new AbortController();
  const read = shell.execute("recv a --timeout 10s", { signal: stop.signal });
  stop.abort();
  const code = await read.then(() => "no error", errorCode);
  assertEquals(code, "cancelled");
});

Deno.test("a refused connection fails with the code refused", async () => {
  await using shell = new Shell();
  assertEquals(await codeOf(shell, `open tcp a 127.0.0.1:${closedPort()}`), "refused");
});

Deno.test("listening on a taken address fails with the code address-in-use", async () => {
  await using shell = new Shell();
  const srv = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket");
  assertEquals(await codeOf(shell, `listen tcp other ${srv.info.local}`), "address-in-use");
});

Deno.test("a bad option value, a bad address and a bad literal fail with the code usage", async () => {
  await using shell = await connectedShell();
  assertEquals(await codeOf(shell, "recv a --timeout abc"), "usage");
  assertEquals(await codeOf(shell, "recv a --frobnicate"), "usage");
  assertEquals(await codeOf(shell, "open tcp b nowhere"), "usage");
  assertEquals(await codeOf(shell, "send a hex:1"), "usage");
});

Deno.test("an unterminated quote fails with the code unterminated", async () => {
  await using shell = await connectedShell();
  assertEquals(await codeOf(shell, 'send a "hello'), "unterminated");
});

Deno.test("an unknown socket fails with the code not-found; a taken name with exists", async () => {
  await using shell = await connectedShell();
  assertEquals(await codeOf(shell, "recv nosuch"), "not-found");
  assertEquals(await codeOf(shell, "listen tcp a 127.0.0.1:0"), "exists");
});

Deno.test("asking a socket for what it cannot do fails with the code wrong-kind", async () => {
  await using shell = await connectedShell();
  assertEquals(await codeOf(shell, "send srv hi"), "wrong-kind");
  assertEquals(await codeOf(shell, "accept a"), "wrong-kind");
  assertEquals(await codeOf(shell, "sendto a 127.0.0.1:9 hi"), "wrong-kind");
});

Deno.test("a closed socket fails with the code closed", async () => {
  await using shell = await connectedShell();
  await shell.execute("close a");
  assertEquals(await codeOf(shell, "send a hi"), "closed");
});

Deno.test("a missing file fails with the code not-found", async () => {
  await using shell = await connectedShell();
  assertEquals(await codeOf(shell, "send a @/nonexistent/x"), "not-found");
});
