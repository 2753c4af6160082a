/**
 * A bound UDP socket keeps a bounded number of peers: each new sender past the bound evicts the
 * peer heard from least recently (a closed event that says so), whose unread datagrams stay
 * readable on the bound socket. With 10,000 senders the shell still answers, `ls` lists at most
 * the bound, and every datagram is counted and read once, in order.
 */
import assert from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import type { SocketEvent } from "../sockets/named_socket.ts";
import { as } from "./_helpers.ts";
import { failure, text } from "./_peers.ts";
import { until } from "./_timers.ts";

const enc = new TextEncoder();

/** Sends one datagram from a fresh socket bound to `ip` (any 127.x.y.z is loopback). */
function sendFrom(ip: string, port: number, payload: string): Promise<number> {
  const conn = Deno.listenDatagram({ hostname: ip, port: 0, transport: "udp" });
  return conn.send(enc.encode(payload), { transport: "udp", hostname: "127.0.0.1", port })
    .finally(() => conn.close());
}

/** The i-th sender's own loopback address: no two senders share one. */
const senderIp = (i: number) => `127.1.${i >> 8}.${i & 255}`;

async function boundPort(shell: Shell, line: string): Promise<number> {
  return Number(as(await shell.execute(line), "socket").info.local.split(":")[1]);
}

Deno.test("past --max-peers the peer heard from least recently is evicted, and its datagrams stay on the bound socket", async () => {
  await using shell = new Shell({ timeout: 3000 });
  const events: SocketEvent[] = [];
  shell.registry.subscribe((e) => events.push(e));
  const port = await boundPort(shell, "listen udp u 127.0.0.1:0 --max-peers 2");
  const first = Deno.listenDatagram({ hostname: senderIp(1), port: 0, transport: "udp" });
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
  await first.send(enc.encode("one"), to);
  await until(() => shell.registry.has("u.1"));
  await sendFrom(senderIp(2), port, "two");
  await until(() => shell.registry.has("u.2"));
  // u.1 is heard from again, so u.2 is now the one heard from least recently.
  await first.send(enc.encode("again"), to);
  await until(() => shell.registry.get("u.1", "ls").info().bytesIn === 8);
  await sendFrom(senderIp(3), port, "three");
  await until(() => shell.registry.has("u.3"));
  first.close();

  const closed = events.filter((e) => e.type === "closed");
  assert.deepEqual(closed, [{
    type: "closed",
    name: "u.2",
    reason: "evicted: the peer heard from least recently, at 2 peers",
  }]);
  const rows = as(await shell.execute("ls u.*"), "table").rows.map((r) => r[0]);
  assert.deepEqual(rows, ["u.1", "u.3"]);
  // Nothing is lost: the evicted peer's datagram is still read on the bound socket, in order.
  assert.deepEqual(
    [await shell.execute("recv u"), await shell.execute("recv u"), await shell.execute("recv u")]
      .map(text),
    ["one", "two", "again"],
  );
  assert.equal(text(await shell.execute("recv u.3")), "three");
});

Deno.test("--max-peers below 1 is a one-line error", async () => {
  await using shell = new Shell();
  assert.equal(
    await failure(shell, "listen udp u 127.0.0.1:0 --max-peers 0"),
    'error: Cannot listen "u": --max-peers must be at least 1',
  );
  assert.match(
    await failure(shell, "listen udp u 127.0.0.1:0 --max-peers x"),
    /not a whole number/,
  );
});

Deno.test("10,000 UDP senders: ls answers, peers stay at 1024, every datagram is counted and read once", async () => {
  await using shell = new Shell({ timeout: 5000 });
  let evicted = 0;
  let accepted = 0;
  shell.registry.subscribe((e) => {
    if (e.type === "closed" && e.reason?.startsWith("evicted")) evicted++;
    if (e.type === "accepted") accepted++;
  });
  const port = await boundPort(shell, "listen udp u 127.0.0.1:0");
  const u = shell.registry.get("u", "ls");
  const SENDERS = 10_000;
  let bytes = 0;
  for (let batch = 0; batch < SENDERS; batch += 250) {
    const sends = [];
    for (let i = batch; i < Math.min(SENDERS, batch + 250); i++) {
      bytes += String(i).length;
      sends.push(sendFrom(senderIp(i), port, String(i)));
    }
    await Promise.all(sends);
    // Let the receive loop catch up before the next batch, so the kernel drops nothing.
    await until(() => u.info().bytesIn === bytes, 10_000);
    if (batch % 2500 === 0) {
      const table = as(await shell.execute("ls"), "table");
      assert.ok(table.rows.length <= 1 + 1024, "ls answers, with at most 1024 peers");
    }
  }
  assert.equal(accepted, SENDERS);
  assert.equal(evicted, SENDERS - 1024);
  const rows = as(await shell.execute("ls"), "table").rows;
  assert.equal(rows.length, 1 + 1024);
  assert.equal(rows.at(-1)![0], `u.${SENDERS}`);
  const info = u.info();
  assert.deepEqual([info.bytesIn, info.buffered, info.note], [bytes, bytes, undefined]);
  // Senders of one batch send at once, so within a batch the order is the kernel's.
  for (let batch = 0; batch < SENDERS; batch += 250) {
    const got: number[] = [];
    for (let i = batch; i < batch + 250; i++) got.push(Number(text(await shell.execute("recv u"))));
    assert.deepEqual(got.sort((x, y) => x - y), Array.from({ length: 250 }, (_, k) => batch + k));
  }
  assert.equal(u.info().buffered, 0);
});
