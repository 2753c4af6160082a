import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import type { Result } from "../commands/result.ts";
import { startServer } from "../protocols/mod.ts";
import { as } from "./_helpers.ts";

const text = (r: Result) => r.kind === "data" ? new TextDecoder().decode(r.data) : `<${r.kind}>`;
const enc = (s: string) => new TextEncoder().encode(s);

/** A shell with a chat room and members a, b, c (… as named) who have joined. */
async function room(shell: Shell, nicks: string[]): Promise<string> {
  const addr = as(await shell.execute("serve chat tcp room :0"), "socket").info.local;
  for (const [i, nick] of nicks.entries()) {
    await shell.execute(`open tcp ${nick} ${addr}`);
    await shell.execute(`sendline ${nick} ${nick}`);
    assertEquals(
      text(await shell.execute(`recvline ${nick}`)),
      `* welcome ${nick}, ${i + 1} online\n`,
    );
    for (const earlier of nicks.slice(0, i)) {
      assertEquals(text(await shell.execute(`recvline ${earlier}`)), `* ${nick} joined\n`);
    }
  }
  return addr;
}

/** Reads lines from a conn, calling `onLine` for each, until it returns true or the conn ends. */
async function readLines(conn: Deno.Conn, onLine: (line: string) => boolean): Promise<void> {
  const decoder = new TextDecoder();
  const buf = new Uint8Array(64 * 1024);
  let rest = "";
  while (true) {
    const n = await conn.read(buf);
    if (n === null) return;
    rest += decoder.decode(buf.subarray(0, n), { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop()!;
    for (const line of lines) if (onLine(line)) return;
  }
}

/** Writes all of `text` (a single conn.write may take only part of it). */
async function write(conn: Deno.Conn, text: string): Promise<void> {
  const data = enc(text);
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}

/**
 * Connects, sends the nickname and reads up to its own welcome line, so the member is in the
 * room when this returns (join notices of others before it are read and dropped with it).
 */
async function join(port: number, nick: string): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await write(conn, `${nick}\n`);
  const byte = new Uint8Array(1);
  let line = "";
  while (!line.startsWith(`* welcome ${nick},`) || !line.endsWith("\n")) {
    if (line.endsWith("\n")) line = "";
    if (await conn.read(byte) === null) throw new Error(`${nick}: closed before the welcome`);
    line += String.fromCharCode(byte[0]);
  }
  return conn;
}

Deno.test("chat: the first line is the nickname and later lines reach every other member", async () => {
  await using shell = new Shell();
  await room(shell, ["alice", "bob", "carol"]);
  await shell.execute("sendline alice hello everyone");
  assertEquals(text(await shell.execute("recvline bob")), "alice: hello everyone\n");
  assertEquals(text(await shell.execute("recvline carol")), "alice: hello everyone\n");
  await assertRejects(shell.execute("recv alice --timeout 100ms"), /timed out/);
});

Deno.test("chat: /who lists the members and /quit says bye and announces the leave", async () => {
  await using shell = new Shell();
  await room(shell, ["alice", "bob"]);
  await shell.execute("sendline bob /who");
  assertEquals(text(await shell.execute("recvline bob")), "* online (2): alice, bob\n");
  await shell.execute('send bob "/quit\\r\\n"');
  assertEquals(text(await shell.execute("recvline bob")), "* bye bob\n");
  await assertRejects(shell.execute("recv bob --timeout 2s"), /end of stream/);
  assertEquals(text(await shell.execute("recvline alice")), "* bob left\n");
  await shell.execute("sendline alice /dance");
  assertEquals(
    text(await shell.execute("recvline alice")),
    "* unknown command /dance; try /who or /quit\n",
  );
});

Deno.test("chat: a taken or malformed nickname is refused and the client tries again", async () => {
  await using shell = new Shell();
  const addr = await room(shell, ["alice"]);
  await shell.execute(`open tcp x ${addr}`);
  await shell.execute("sendline x alice");
  assertEquals(
    text(await shell.execute("recvline x")),
    '* nickname "alice" is taken, pick another\n',
  );
  await shell.execute("sendline x two words");
  assertEquals(
    text(await shell.execute("recvline x")),
    '* a nickname is 1-32 characters without spaces or ":", pick another\n',
  );
  await shell.execute("sendline x zed");
  assertEquals(text(await shell.execute("recvline x")), "* welcome zed, 2 online\n");
  assertEquals(text(await shell.execute("recvline alice")), "* zed joined\n");
});

Deno.test("chat: a member who disconnects is announced as left", async () => {
  await using shell = new Shell();
  await room(shell, ["alice", "bob"]);
  await shell.execute("close bob");
  assertEquals(text(await shell.execute("recvline alice")), "* bob left\n");
});

Deno.test("chat: each sender's lines reach every other member in order, none lost", async () => {
  await using server = await startServer("chat", "tcp", "127.0.0.1:0");
  const port = (server.addr as Deno.NetAddr).port;
  const members = 5;
  const lines = 300;
  const conns = await Promise.all(Array.from({ length: members }, (_, i) => join(port, `m${i}`)));
  // Everyone reads until it has every line of every other member, checking each sender's order.
  const readers = conns.map((conn, me) => {
    const next = new Map<string, number>();
    let got = 0;
    return readLines(conn, (line) => {
      const m = /^(m\d): (\d+)$/.exec(line);
      if (!m) return false;
      const seq = Number(m[2]);
      assertEquals(seq, next.get(m[1]) ?? 0, `member ${me}: ${m[1]}'s lines out of order`);
      next.set(m[1], seq + 1);
      return ++got === (members - 1) * lines;
    }).then(() => got);
  });
  // Everyone is in: join() returned after each member's welcome.
  await Promise.all(conns.map(async (conn) => {
    for (let i = 0; i < lines; i += 50) {
      const batch = Array.from({ length: 50 }, (_, k) => `${i + k}\n`).join("");
      await write(conn, batch);
    }
  }));
  assertEquals(await Promise.all(readers), conns.map(() => (members - 1) * lines));
  for (const c of conns) c.close();
});

Deno.test("chat: a member who stops reading is dropped with a notice and never blocks the others", async () => {
  const events: string[] = [];
  await using server = await startServer(
    "chat",
    "tcp",
    "127.0.0.1:0",
    { maxQueue: 256 * 1024 },
    (e) => e.type === "notice" && events.push(`#${e.id} ${e.text}`),
  );
  const port = (server.addr as Deno.NetAddr).port;
  const lazy = await join(port, "lazy"); // joins and never reads again
  const talker = await join(port, "talker");
  const reader = await join(port, "reader");
  const big = "x".repeat(4 * 1024);
  const count = 3000; // 12 MB: more than the kernel buffers can hide from the server
  let received = 0;
  let dropNotice = false;
  let progress = () => {};
  const reading = readLines(reader, (line) => {
    if (line === "* lazy dropped (not reading)") dropNotice = true;
    else if (line.startsWith("talker: ")) {
      assertEquals(line, `talker: ${received} ${big}`);
      received++;
      progress();
    }
    return received === count;
  });
  for (let i = 0; i < count; i += 10) {
    // The talker keeps at most 100 lines ahead of the reader: a reader that keeps up is never
    // dropped, however far behind the idle member falls.
    while (i - received > 100) await new Promise<void>((r) => progress = r);
    await write(talker, Array.from({ length: 10 }, (_, k) => `${i + k} ${big}\n`).join(""));
  }
  await reading;
  assertEquals(received, count);
  assert(dropNotice, "the others are told the slow member was dropped");
  assert(
    events.some((e) => /^#1 dropped: not reading \(\d+ bytes queued\)$/.test(e)),
    events.join(),
  );
  for (const c of [lazy, talker, reader]) c.close();
});

Deno.test("chat: lines longer than a broadcast log block arrive whole and in order", async () => {
  await using server = await startServer("chat", "tcp", "127.0.0.1:0", {}, () => {});
  const port = (server.addr as Deno.NetAddr).port;
  const alice = await join(port, "alice");
  const bob = await join(port, "bob");
  // Sizes around the 64 KiB log block: a line that needs a block of its own, lines that
  // straddle a block's end, and short ones between them.
  const sizes = [10, 60_000, 10, 65_000, 5, 30_000, 40_000, 1, 64_000];
  const lines = sizes.map((n, i) => `${i} ${String.fromCharCode(97 + i).repeat(n)}`);
  const got: string[] = [];
  const reading = readLines(bob, (line) => {
    if (line.startsWith("alice: ")) got.push(line.slice("alice: ".length));
    return got.length === lines.length;
  });
  await write(alice, lines.map((l) => `${l}\n`).join(""));
  await reading;
  assertEquals(got, lines);
  for (const c of [alice, bob]) c.close();
});
