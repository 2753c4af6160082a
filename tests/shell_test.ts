import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { renderError } from "../shell/renderer.ts";
import type { Result } from "../commands/result.ts";
import { as, closedPort, echoPeer, eventually } from "./_helpers.ts";

const text = (r: Result) => r.kind === "data" ? new TextDecoder().decode(r.data) : `<${r.kind}>`;

/** Runs a line that must fail and returns its one-line rendered error. */
async function failure(shell: Shell, line: string): Promise<string> {
  try {
    await shell.execute(line);
  } catch (error) {
    const rendered = renderError(error);
    assert(!rendered.includes("\n"), `error is one line: ${rendered}`);
    return rendered;
  }
  throw new Error(`expected "${line}" to fail`);
}

async function listening(shell: Shell, name = "srv"): Promise<string> {
  return as(await shell.execute(`listen tcp ${name} 127.0.0.1:0`), "socket").info.local;
}

Deno.test("an echo peer returns what the shell sends", async () => {
  await using peer = echoPeer();
  await using shell = new Shell();
  await shell.execute(`open tcp a 127.0.0.1:${peer.addr.port}`);
  await shell.execute('send a hello world "\\n"');
  assertEquals(text(await shell.execute("recvline a")), "hello world\n");
});

Deno.test("accepted peers are named after their listener, in order", async () => {
  await using shell = new Shell();
  const addr = await listening(shell);
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute(`open tcp b ${addr}`);
  const first = as(await shell.execute("accept srv"), "socket");
  const second = as(await shell.execute("accept srv"), "socket");
  assertEquals([first.info.name, second.info.name], ["srv.1", "srv.2"]);
  await shell.execute("sendline srv.2 to-b");
  assertEquals(text(await shell.execute("recvline b")), "to-b\n");
});

Deno.test("a bare :PORT listens on 127.0.0.1 and port 0 shows the chosen port", async () => {
  await using shell = new Shell();
  const addr = await listening(shell);
  assertMatch(addr, /^127\.0\.0\.1:[1-9]\d*$/);
});

Deno.test("IPv6 addresses are accepted and shown in brackets", async () => {
  await using shell = new Shell();
  const r = as(await shell.execute("listen tcp six [::1]:0"), "socket");
  assertMatch(r.info.local, /^\[::1\]:\d+$/);
  const a = as(await shell.execute(`open tcp a ${r.info.local}`), "socket");
  assertMatch(a.info.remote, /^\[::1\]:\d+$/);
});

Deno.test("host names resolve: localhost connects", async () => {
  await using peer = echoPeer();
  await using shell = new Shell();
  as(await shell.execute(`open tcp a localhost:${peer.addr.port}`), "socket");
});

Deno.test("recv on TCP is a stream: bytes sent in pieces read back whole", async () => {
  await using shell = new Shell();
  const addr = await listening(shell);
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute("accept srv");
  await shell.execute("send a hello");
  await shell.execute('send a " world"');
  assertEquals(text(await shell.execute("recvexact srv.1 11")), "hello world");
});

Deno.test("recvuntil and expect consume through the delimiter or match only", async () => {
  await using shell = new Shell();
  const addr = await listening(shell);
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute("accept srv");
  await shell.execute('send a "HTTP/1.0 200 OK\\r\\nX: 1\\r\\n\\r\\nbody"');
  assertEquals(text(await shell.execute('recvuntil srv.1 "\\r\\n"')), "HTTP/1.0 200 OK\r\n");
  assertEquals(text(await shell.execute("expect srv.1 /X: \\d/")), "X: 1");
  assertEquals(text(await shell.execute("recvexact srv.1 8")), "\r\n\r\nbody");
});

Deno.test("a timed-out recv keeps the partial bytes for the next read", async () => {
  await using shell = new Shell();
  const addr = await listening(shell);
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute("accept srv");
  await shell.execute("send a abc");
  const error = await failure(shell, "recvline srv.1 --timeout 100ms");
  assertMatch(error, /Cannot recvline from "srv\.1": timed out after 100ms \(3 bytes kept/);
  assertEquals(text(await shell.execute("recv srv.1")), "abc");
});

Deno.test("shutdown half-closes: the peer sees end of stream and can still answer", async () => {
  await using shell = new Shell();
  const addr = await listening(shell);
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute("accept srv");
  await shell.execute("send a last");
  await shell.execute("shutdown a");
  assertEquals(text(await shell.execute("recvexact srv.1 4")), "last");
  assertMatch(await failure(shell, "recv srv.1"), /end of stream, peer closed/);
  await shell.execute("sendline srv.1 reply");
  assertEquals(text(await shell.execute("recvline a")), "reply\n");
  const ls = as(await shell.execute("ls a"), "table");
  assertEquals(ls.rows[0][2], "write-shut");
});

Deno.test("ls shows each socket's state, addresses and byte counts", async () => {
  await using shell = new Shell();
  const addr = await listening(shell);
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute("accept srv");
  await shell.execute("send a 12345");
  const ls = await eventually(async () => {
    const ls = as(await shell.execute("ls"), "table");
    return ls.rows.some((r) => r[0] === "srv.1" && r[7] === "5") && ls;
  }, "the 5 bytes to arrive at srv.1");
  const rows = Object.fromEntries(ls.rows.map((r) => [r[0], r]));
  assertEquals(rows["srv"].slice(1, 4), ["tcp", "listening", addr]);
  assertEquals(rows["a"][6], "5");
  assertEquals(rows["srv.1"][5], "5");
  assertEquals(rows["srv.1"][7], "5");
});

Deno.test("glob names send to every accepted child", async () => {
  await using shell = new Shell();
  const addr = await listening(shell);
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute(`open tcp b ${addr}`);
  await shell.execute("accept srv");
  await shell.execute("accept srv");
  await shell.execute("sendline srv.* all");
  assertEquals(text(await shell.execute("recvline a")), "all\n");
  assertEquals(text(await shell.execute("recvline b")), "all\n");
});

Deno.test("send @file streams the file's bytes", async () => {
  await using peer = echoPeer();
  await using shell = new Shell();
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(path, "from a file\n");
    await shell.execute(`open tcp a 127.0.0.1:${peer.addr.port}`);
    await shell.execute(`send a @${path}`);
    assertEquals(text(await shell.execute("recvline a")), "from a file\n");
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a cancelled recv returns at once and keeps the shell usable", async () => {
  await using shell = new Shell();
  const addr = await listening(shell);
  await shell.execute(`open tcp a ${addr}`);
  const controller = new AbortController();
  const pending = shell.execute("recv a --timeout 10s", { signal: controller.signal });
  setTimeout(() => controller.abort(), 30);
  await assertRejects(() => pending, /cancelled/);
  assertEquals((await shell.execute("ls a")).kind, "table");
});

Deno.test("bad input gets a one-line error naming the action and the value", async (t) => {
  await using peer = echoPeer();
  await using shell = new Shell();
  const addr = await listening(shell);
  await shell.execute(`open tcp a 127.0.0.1:${peer.addr.port}`);
  await shell.execute("send a keep");
  await eventually(() => shell.registry.get("a", "test").info().buffered === 4, "the echo");
  const cases: Array<[string, string, RegExp]> = [
    ["unknown command", "sned a x", /Unknown command "sned"; did you mean send\?/],
    ["unknown socket", "send b x", /Cannot send to "b": no such socket/],
    ["name in use", `open tcp a ${addr}`, /Cannot open "a": name already in use/],
    [
      "malformed address",
      "open tcp z 127.0.0.1",
      /Cannot open "z": bad address "127\.0\.0\.1": expected HOST:PORT/,
    ],
    [
      "bad port",
      "open tcp z 127.0.0.1:70000",
      /Cannot open "z": bad port "70000" in "127\.0\.0\.1:70000"/,
    ],
    [
      "connection refused",
      `open tcp z 127.0.0.1:${closedPort()}`,
      /Cannot open "z": connection refused by 127\.0\.0\.1:\d+/,
    ],
    [
      "host not found",
      "open tcp z no-such-host.invalid:80",
      /Cannot open "z": host not found: no-such-host\.invalid/,
    ],
    [
      "address in use",
      `listen tcp z ${addr}`,
      /Cannot listen "z": address 127\.0\.0\.1:\d+ already in use/,
    ],
    ["bad escape", 'send a "\\q"', /escape/i],
    ["bad hex", "send a hex:4", /hex/i],
    ["bad base64", "send a b64:@@", /base64/i],
    ["missing file", "send a @/no/such/file", /Cannot read file "\/no\/such\/file": not found/],
    ["timeout", "recvline a --timeout 50ms", /timed out after 50ms/],
    ["unknown transport", "open tpc z 127.0.0.1:1", /unknown transport "tpc"; did you mean tcp\?/],
    [
      "unknown option",
      "recv a --tiemout 1s",
      /unknown option "--tiemout"; did you mean --timeout\?/,
    ],
    ["bad duration", "recv a --timeout soon", /bad duration "soon"/],
    ["bad regex", "expect a /(/", /bad regex/],
  ];
  for (const [what, line, pattern] of cases) {
    await t.step(what, async () => {
      assertMatch(await failure(shell, line), pattern);
    });
  }
  await t.step("the buffered bytes were untouched by all of it", async () => {
    assertEquals(text(await shell.execute("recv a")), "keep");
  });
  await t.step("recv on a closed socket says so", async () => {
    await shell.execute("close a");
    assertMatch(await failure(shell, "recv a"), /Cannot recv from "a": socket is closed/);
    assertEquals(as(await shell.execute("ls a"), "table").rows[0][2], "closed");
  });
  await t.step("a closed socket's name can be used again", async () => {
    as(await shell.execute(`open tcp a ${addr}`), "socket");
  });
});

Deno.test("Ctrl-C stops a file transfer to a peer that does not read", async () => {
  await using shell = new Shell();
  const addr = await listening(shell);
  await shell.execute(`open tcp a ${addr}`);
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, new Uint8Array(64 * 1024 * 1024));
    const controller = new AbortController();
    const sending = shell.execute(`send a @${path}`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await assertRejects(() => sending, /Cannot send to "a": cancelled/);
    // The listener's side drains what was sent, so the blocked write can finish and close.
    await shell.execute("accept srv");
    await shell.execute("close a");
  } finally {
    await Deno.remove(path);
  }
});
