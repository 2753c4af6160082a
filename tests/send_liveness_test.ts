/**
 * Every send can be ended — by its `--timeout`, by the command's signal (Ctrl-C), by `close` — and
 * the byte counts in its errors are true (the same as `ls` shows), on real sockets on loopback.
 */
import { match, ok as assert, rejects, strictEqual as equal } from "node:assert/strict";
import { errorCode, SockitError } from "../grammar/errors.ts";
import { renderError } from "../shell/renderer.ts";
import { Shell } from "../shell/shell.ts";
import type { StreamSocket } from "../sockets/stream_socket.ts";
import { as } from "./_helpers.ts";

/** Waits until `condition` holds, polling every few ms; fails after `ms`. */
async function eventually(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A peer on 127.0.0.1:0 that accepts and never reads until told to. */
function silentPeer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const loop = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })().catch(() => {});
  return {
    port: listener.addr.port,
    /** The n-th accepted connection (0-based), once it is there. */
    async conn(n = 0): Promise<Deno.Conn> {
      await eventually(() => accepted.length > n, "the peer accepts");
      return accepted[n];
    },
    /** Reads everything from a connection until end of stream; resolves with the byte count. */
    async readAll(conn: Deno.Conn): Promise<number> {
      const buf = new Uint8Array(1 << 20);
      let total = 0;
      try {
        while (true) {
          const n = await conn.read(buf);
          if (n === null) return total;
          total += n;
        }
      } catch {
        return total;
      }
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await loop;
      for (const c of accepted) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

/** A temp file of `size` bytes; removed on dispose. */
async function bigFile(size: number) {
  const dir = await Deno.makeTempDir({ prefix: "sockit-send-" });
  const path = `${dir}/big.bin`;
  {
    using f = await Deno.open(path, { write: true, create: true });
    const block = new Uint8Array(1 << 20).fill(0x61);
    for (let done = 0; done < size; done += block.length) {
      await f.write(block.subarray(0, Math.min(block.length, size - done)));
    }
  }
  return {
    path,
    size,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const SIZE = 64 * 1024 * 1024;

/** What `ls NAME` shows in its out column. */
async function lsOut(shell: Shell, name: string): Promise<number> {
  const table = as(await shell.execute(`ls ${name}`), "table");
  return Number(table.rows[0][table.columns.indexOf("out")]);
}

/** The error a line fails with. */
async function failing(run: Promise<unknown>): Promise<SockitError> {
  try {
    await run;
  } catch (error) {
    assert(error instanceof SockitError, `a SockitError, got ${error}`);
    assert(!renderError(error).includes("\n") || error.hint !== undefined);
    return error;
  }
  throw new Error("expected the command to fail");
}

/** The count a send error reports: `N of TOTAL bytes sent`. */
function sentCount(error: Error, total: number): number {
  const m = new RegExp(`, (\\d+) of ${total} bytes sent$`).exec(error.message);
  assert(m, `the error counts the bytes: ${error.message}`);
  return Number(m[1]);
}

Deno.test("send --timeout to a peer that never reads reports the bytes sent, and the socket still works", async () => {
  await using peer = silentPeer();
  await using file = await bigFile(SIZE);
  await using shell = new Shell();
  await shell.execute(`open tcp a 127.0.0.1:${peer.port}`);
  const error = await failing(shell.execute(`send a --timeout 300ms @${file.path}`));
  equal(errorCode(error), "timeout");
  match(error.message, /^Cannot send to "a": timed out after 300ms, \d+ of \d+ bytes sent$/);
  const reported = sentCount(error, SIZE);
  assert(reported > 0 && reported < SIZE);
  equal(await lsOut(shell, "a"), reported);

  // Reading still works while the peer holds back.
  const conn = await peer.conn();
  await conn.write(new TextEncoder().encode("still here\n"));
  const line = as(await shell.execute("recvline a"), "data");
  equal(new TextDecoder().decode(line.data), "still here\n");

  // Once the peer reads, the next send goes through, and every count agrees.
  const received = peer.readAll(conn);
  await shell.execute('send a "tail"');
  await shell.execute("shutdown a");
  const total = await received;
  equal(total, await lsOut(shell, "a"));
  assert(total >= reported + 4 && total <= reported + 4 + 256 * 1024, `${total} vs ${reported}`);
});

Deno.test("aborting the signal ends a blocked send with its count, and the next send works", async () => {
  await using peer = silentPeer();
  await using file = await bigFile(SIZE);
  await using shell = new Shell();
  await shell.execute(`open tcp a 127.0.0.1:${peer.port}`);
  const socket = shell.registry.get("a", "test");
  const stop = new AbortController();
  const sending = failing(shell.execute(`send a @${file.path}`, { signal: stop.signal }));
  await eventually(() => socket.info().bytesOut > 0, "some bytes go out");
  stop.abort();
  const error = await sending;
  equal(errorCode(error), "cancelled");
  match(error.message, /^Cannot send to "a": cancelled, \d+ of \d+ bytes sent$/);
  equal(sentCount(error, SIZE), await lsOut(shell, "a"));

  const received = peer.readAll(await peer.conn());
  const r = await shell.execute("sendline a done");
  equal(as(r, "message").text, "sent 5 bytes to a");
  await shell.execute("shutdown a");
  equal(await received, await lsOut(shell, "a"));
});

Deno.test("close ends a pending send, which says the socket was closed and what went out", async () => {
  await using peer = silentPeer();
  await using file = await bigFile(SIZE);
  await using shell = new Shell();
  await shell.execute(`open tcp a 127.0.0.1:${peer.port}`);
  const socket = shell.registry.get("a", "test");
  const sending = failing(shell.execute(`send a @${file.path}`));
  await eventually(() => socket.info().bytesOut > 0, "some bytes go out");
  await shell.execute("close a");
  const error = await sending;
  equal(errorCode(error), "closed");
  match(error.message, /^Cannot send to "a": socket was closed, \d+ of \d+ bytes sent$/);
  equal(sentCount(error, SIZE), socket.info().bytesOut);
  // The peer gets exactly what was counted: the blocked write was dropped, not sent later.
  equal(await peer.readAll(await peer.conn()), socket.info().bytesOut);
});

Deno.test("a plain send to a peer that never reads is ended by set send-timeout", async () => {
  await using peer = silentPeer();
  await using shell = new Shell();
  await shell.execute(`open tcp a 127.0.0.1:${peer.port}`);
  await shell.execute("set send-timeout 200ms");
  const big = "x".repeat(16 * 1024 * 1024);
  const payload = `b64:${btoa(big)}`;
  const error = await failing(shell.execute(`send a ${payload}`));
  match(error.message, /^Cannot send to "a": timed out after 200ms, \d+ of 16777216 bytes sent$/);
  equal(sentCount(error, big.length), await lsOut(shell, "a"));
  await shell.execute("set send-timeout none");
  const settings = as(await shell.execute("set"), "table");
  equal(settings.rows.find((r) => r[0] === "send-timeout")?.[1], "none");
});

Deno.test("a reset in the middle of send @file reports the real count, the one ls shows", async () => {
  await using peer = silentPeer();
  await using file = await bigFile(SIZE);
  await using shell = new Shell();
  await shell.execute(`open tcp a 127.0.0.1:${peer.port}`);
  const sending = failing(shell.execute(`send a @${file.path}`));
  const conn = await peer.conn();
  // The peer reads a few MiB, then closes with unread data: the kernel answers with a reset.
  const buf = new Uint8Array(1 << 20);
  let got = 0;
  while (got < 4 * 1024 * 1024) got += (await conn.read(buf)) ?? 0;
  conn.close();
  const error = await sending;
  match(error.message, /^Cannot send to "a": (connection reset by peer|peer closed .*), \d+ of/);
  const reported = sentCount(error, SIZE);
  assert(reported >= got, `${reported} counts at least the ${got} bytes the peer read`);
  equal(reported, await lsOut(shell, "a"));
});

Deno.test("a glob send names every socket it reached and did not reach", async () => {
  await using peer = silentPeer();
  await using shell = new Shell();
  for (const name of ["c1", "c2", "c3"]) {
    await shell.execute(`open tcp ${name} 127.0.0.1:${peer.port}`);
  }
  await shell.execute("close c2");
  const error = await failing(shell.execute("send c* hello"));
  equal(
    error.message,
    'Cannot send to "c*": reached c1, c3 of 3; not reached: c2 (socket is closed)',
  );
  equal(await lsOut(shell, "c1"), 5);
  equal(await lsOut(shell, "c3"), 5);
});

Deno.test("a glob send stops at its deadline and names the sockets it did not try", async () => {
  await using peer = silentPeer();
  await using shell = new Shell();
  for (const name of ["c1", "c2", "c3"]) {
    await shell.execute(`open tcp ${name} 127.0.0.1:${peer.port}`);
  }
  const payload = `b64:${btoa("x".repeat(16 * 1024 * 1024))}`;
  const error = await failing(shell.execute(`send c* --timeout 200ms ${payload}`));
  equal(errorCode(error), "timeout");
  match(
    error.message,
    /^Cannot send to "c\*": reached none of 3; not reached: c1 \(timed out after 200ms, \d+ of 16777216 bytes sent\), c2, c3 \(not tried\)$/,
  );
});

Deno.test("close during a send blocked behind an ended one settles both", async () => {
  await using peer = silentPeer();
  await using shell = new Shell();
  await shell.execute(`open tcp a 127.0.0.1:${peer.port}`);
  const payload = `b64:${btoa("x".repeat(16 * 1024 * 1024))}`;
  await rejects(shell.execute(`send a --timeout 100ms ${payload}`), /timed out/);
  const socket = shell.registry.get("a", "test") as StreamSocket;
  match(socket.info().note ?? "", /bytes of an ended send wait for the peer/);
  const second = failing(shell.execute("send a more"));
  await eventually(() => socket.sending === 1, "the second send waits");
  await shell.execute("close a");
  match((await second).message, /^Cannot send to "a": socket was closed, 0 of 4 bytes sent$/);
});

Deno.test("a 200,000-character bad input gives a short one-line error", async () => {
  await using shell = new Shell();
  await shell.execute("listen udp u 127.0.0.1:0");
  const long = "z".repeat(200_000);
  const lines = [
    `send u hex:${long}`,
    `send u b64:${long}!`,
    `send u "\\q${"x\r\n".repeat(66_000)}`,
    `send u "${"line\r\n".repeat(40_000)}`,
    `${long} a`,
    `send ${long} x`,
    `open tcp a ${long}:1`,
    `sleep ${long}`,
    `ls --${long}`,
    `recvexact u ${long}`,
  ];
  for (const line of lines) {
    let rendered = "";
    try {
      await shell.execute(line);
    } catch (error) {
      rendered = renderError(error).split("\n")[0];
      assert(error instanceof SockitError, `a SockitError for ${line.slice(0, 20)}: ${error}`);
      assert(!error.message.includes("\n") && !error.message.includes("\r"), error.message);
    }
    assert(rendered !== "", `${line.slice(0, 20)}… fails`);
    assert(rendered.length < 300, `${rendered.length} characters: ${rendered.slice(0, 400)}`);
    match(rendered, /\(\d+ more characters\)/);
  }
});
