/**
 * Reading like pexpect and pwntools (issue 14): expect with alternatives, captures as shell
 * variables, recvall, recvrepeat, sendafter, sendlineafter, clean, --to FILE and repeat, against
 * real peers on loopback (socat, python3, and the shell's own Deno listener).
 */
import assert from "node:assert/strict";
import { errorCode } from "../grammar/errors.ts";
import { expandVariables } from "../session/variables.ts";
import { Shell } from "../shell/shell.ts";
import { as, eventually, sockit } from "./_helpers.ts";
import { failure, socatListening, spawnPeer, text } from "./_peers.ts";

/** A shell with `srv` listening and `a` connected to it as `srv.1`. */
async function connected(): Promise<Shell> {
  const shell = new Shell({ expand: expandVariables, timeout: 5000 });
  const srv = as(await shell.execute("listen tcp srv :0"), "socket");
  await shell.execute(`open tcp a ${srv.info.local}`);
  await shell.execute("accept srv");
  return shell;
}

async function codeOf(shell: Shell, line: string): Promise<string> {
  try {
    await shell.execute(line);
  } catch (error) {
    return errorCode(error);
  }
  throw new Error(`expected "${line}" to fail`);
}

Deno.test("expect with alternatives takes the earliest match in the stream and says which", async () => {
  await using shell = await connected();
  await shell.execute('send srv.1 "banner\\r\\nlogin: "');
  const r = as(await shell.execute("expect a /password: / /login: / eof"), "data");
  assert.deepEqual(r.matched, { index: 2, text: "/login: /" });
  assert.equal(text(r), "banner\r\nlogin: ");
  assert.equal(new TextDecoder().decode(r.before), "banner\r\n");
});

Deno.test("expect with alternatives starting together takes the first listed", async () => {
  await using shell = await connected();
  await shell.execute("send srv.1 abcd");
  const r = as(await shell.execute("expect a /abc/ /ab/"), "data");
  assert.deepEqual([r.matched?.index, text(r)], [1, "abc"]);
});

Deno.test("expect lists eof as an outcome: the rest of the stream, not an error", async () => {
  const { peer, port } = await socatListening([
    "TCP-LISTEN:0,bind=127.0.0.1",
    "SYSTEM:printf tail",
  ]);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute(`open tcp a 127.0.0.1:${port}`);
  const r = as(await shell.execute("expect a /never/ eof"), "data");
  assert.deepEqual([r.matched, text(r)], [{ index: 2, text: "eof" }, "tail"]);
  assert.equal(await codeOf(shell, "expect a /never/"), "eof");
});

Deno.test("expect lists timeout as an outcome that keeps the buffered bytes", async () => {
  await using shell = await connected();
  await shell.execute("send srv.1 partial");
  await eventually(() => shell.registry.get("a", "t").info().buffered === 7, "the bytes");
  const r = as(await shell.execute("expect a /never/ timeout --timeout 20ms"), "data");
  assert.deepEqual([r.matched?.text, r.data.length], ["timeout", 0]);
  assert.equal(new TextDecoder().decode(r.before), "partial");
  assert.equal(text(await shell.execute("recv a")), "partial");
  assert.equal(await codeOf(shell, "expect a /never/ --timeout 20ms"), "timeout");
});

Deno.test("expect's bad alternatives are one-line usage errors naming the value", async () => {
  await using shell = await connected();
  assert.match(
    await failure(shell, "expect a /x/ eof eof"),
    /Cannot expect on "a": eof is listed twice/,
  );
  assert.match(await failure(shell, "expect a /x/ tiemout"), /"tiemout" is not a \/REGEX\//);
  assert.equal(await codeOf(shell, "expect a /x/ /(/"), "usage");
});

Deno.test("a named capture becomes a shell variable that later lines use, and vars lists it", async () => {
  await using shell = await connected();
  await shell.execute('send srv.1 "id=42\\n"');
  await shell.execute("expect a /id=(?<id>\\d+)/");
  await shell.execute("sendline a got ${id}");
  assert.equal(text(await shell.execute("recvline srv.1")), "got 42\n");
  const table = as(await shell.execute("vars"), "table");
  assert.deepEqual(table.rows, [["id", "42"]]);
  assert.match(
    await failure(shell, "send a ${nope}"),
    /Cannot expand \$\{nope\}: no variable "nope"/,
  );
});

Deno.test("batch mode expands captures too: expect then send ${id}", async () => {
  const peer = spawnPeer("python3", [
    "-c",
    [
      "import socket",
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)",
      "print(s.getsockname()[1], flush=True)",
      "c, _ = s.accept(); c.sendall(b'token=abc123\\n')",
      "print('got', c.recv(100).decode().strip(), flush=True)",
    ].join("\n"),
  ]);
  await using _peer = peer;
  const port = (await peer.waitFor(/^(\d+)$/m))[1];
  const run = await sockit([
    "-c",
    `open tcp a 127.0.0.1:${port}; expect a /token=(?<t>\\w+)/; sendline a \${t}; vars`,
  ]);
  assert.equal(run.code, 0, run.stderr);
  await peer.waitFor(/got abc123/);
  assert.match(run.stdout, /t\s+abc123/);
});

Deno.test("recvall --to FILE writes everything until the peer closes and says how much", async () => {
  const dir = await Deno.makeTempDir();
  const source = `${dir}/source.bin`;
  const data = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 7919) % 251);
  await Deno.writeFile(source, data);
  const { peer, port } = await socatListening(["TCP-LISTEN:0,bind=127.0.0.1", `OPEN:${source}`]);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 10_000 });
  await shell.execute(`open tcp a 127.0.0.1:${port}`);
  const r = as(await shell.execute(`recvall a --to ${dir}/out.bin`), "message");
  assert.equal(r.text, `wrote ${data.length} bytes from a to ${dir}/out.bin`);
  assert.deepEqual(await Deno.readFile(`${dir}/out.bin`), data);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("recvall keeps the bytes buffered until the end, so a timeout loses nothing", async () => {
  await using shell = await connected();
  await shell.execute("send srv.1 early");
  assert.equal(await codeOf(shell, "recvall a --timeout 20ms"), "timeout");
  await shell.execute("send srv.1 late");
  await shell.execute("close srv.1");
  assert.equal(text(await shell.execute("recvall a")), "earlylate");
});

Deno.test("--to FILE works on every recv command; a bad path consumes nothing", async () => {
  const dir = await Deno.makeTempDir();
  await using shell = await connected();
  await shell.execute('send srv.1 "line one\\nabc"');
  const bad = await failure(shell, `recvline a --to ${dir}/no/such/file`);
  assert.match(
    bad,
    new RegExp(`Cannot recvline from "a": cannot write ${dir}/no/such/file: not found`),
  );
  assert.equal(await codeOf(shell, `recvline a --to ${dir}/no/such/file`), "not-found");
  const line = as(await shell.execute(`recvline a --to ${dir}/line`), "message");
  assert.equal(line.text, `wrote 9 bytes from a to ${dir}/line`);
  assert.equal(await Deno.readTextFile(`${dir}/line`), "line one\n");
  await shell.execute(`recvexact a 3 --to ${dir}/exact`);
  assert.equal(await Deno.readTextFile(`${dir}/exact`), "abc");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("recvexact --to FILE that times out says how many bytes it wrote", async () => {
  const dir = await Deno.makeTempDir();
  await using shell = await connected();
  await shell.execute("send srv.1 abc");
  await eventually(() => shell.registry.get("a", "t").info().buffered === 3, "the bytes");
  const error = await failure(shell, `recvexact a 10 --to ${dir}/part --timeout 20ms`);
  assert.match(error, /timed out after 20ms .*; 3 bytes written to/);
  assert.equal(await Deno.readTextFile(`${dir}/part`), "abc");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("recvrepeat returns what arrives until the socket is quiet", async () => {
  const { peer, port } = await socatListening([
    "TCP-LISTEN:0,bind=127.0.0.1",
    "SYSTEM:printf one; printf two; sleep 5",
  ]);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute(`open tcp a 127.0.0.1:${port}`);
  await eventually(() => shell.registry.get("a", "t").info().buffered === 6, "both writes");
  assert.equal(text(await shell.execute("recvrepeat a 50ms")), "onetwo");
  assert.match(await failure(shell, "recvrepeat a soon"), /recvrepeat D: .*"soon"/);
});

Deno.test("recvrepeat ended by Ctrl-C returns what arrived so far", async () => {
  await using shell = await connected();
  await shell.execute("send srv.1 some");
  await eventually(() => shell.registry.get("a", "t").info().buffered === 4, "the bytes");
  const stop = new AbortController();
  const pending = shell.execute("recvrepeat a 1h", { signal: stop.signal });
  await eventually(() => shell.registry.get("a", "t").info().buffered === 0, "the read");
  stop.abort();
  assert.equal(text(await pending), "some");
});

Deno.test("sendafter waits for the delimiter, then sends; sendlineafter adds a newline", async () => {
  await using shell = await connected();
  await shell.execute('send srv.1 "Name: "');
  assert.equal(text(await shell.execute('sendafter a "Name: " bob')), "Name: ");
  assert.equal(text(await shell.execute("recvexact srv.1 3")), "bob");
  await shell.execute('send srv.1 "> "');
  await shell.execute('sendlineafter a "> " --crlf quit');
  assert.equal(text(await shell.execute("recvexact srv.1 6")), "quit\r\n");
  assert.equal(await codeOf(shell, 'sendafter a "?" x --timeout 20ms'), "timeout");
  assert.equal(await codeOf(shell, "sendafter a '' x"), "usage");
  assert.equal(shell.registry.get("srv.1", "t").info().buffered, 0, "nothing sent on failure");
});

Deno.test("clean discards what is buffered and says how much, on streams and datagrams", async () => {
  await using shell = await connected();
  await shell.execute("send srv.1 12345");
  await eventually(() => shell.registry.get("a", "t").info().buffered === 5, "the bytes");
  assert.equal(as(await shell.execute("clean a"), "message").text, "discarded 5 bytes from a");
  const u = as(await shell.execute("listen udp u :0"), "socket");
  await shell.execute(`open udp c ${u.info.local}`);
  await shell.execute("send c one");
  await shell.execute("send c three");
  await eventually(() => shell.registry.get("u", "t").info().buffered === 8, "two datagrams");
  assert.equal(
    as(await shell.execute("clean u.1"), "message").text,
    "discarded 8 bytes (2 datagrams) from u.1",
  );
  assert.equal(await codeOf(shell, "recvall u.1"), "wrong-kind");
});

Deno.test("repeat runs a command N times and shows the last result", async () => {
  await using shell = await connected();
  const r = as(
    await shell.execute("repeat 4 --every 1ms sendline a ping --timeout 1s"),
    "repeated",
  );
  assert.equal(r.text, "ran sendline 4 times, 1ms apart");
  assert.deepEqual(r.last, { kind: "message", text: "sent 5 bytes to a" });
  assert.equal(text(await shell.execute("recvexact srv.1 20")), "ping\n".repeat(4));
});

Deno.test("repeat stops at the first error, saying which run failed", async () => {
  await using shell = await connected();
  await shell.execute("send srv.1 x");
  const error = await failure(shell, "repeat 3 recvexact a 1 --timeout 20ms");
  assert.match(error, /Cannot repeat recvexact: run 2 of 3 failed: .*timed out after 20ms/);
  assert.equal(await codeOf(shell, "repeat 0 ls"), "usage");
  assert.equal(await codeOf(shell, "repeat 2 --every soon ls"), "usage");
});

Deno.test("repeat is cancelled by Ctrl-C between runs", async () => {
  await using shell = await connected();
  const stop = new AbortController();
  const pending = shell.execute("repeat 1000 --every 1h send a x", { signal: stop.signal });
  await eventually(() => shell.registry.get("srv.1", "t").info().buffered === 1, "the first run");
  stop.abort();
  await assert.rejects(pending, /Cannot repeat send: cancelled after 1 of 1000 runs/);
});
