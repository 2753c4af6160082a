import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { renderResult } from "../shell/renderer.ts";
import { as, eventually } from "./_helpers.ts";
import { failure, socatListening, spawnPeer, text } from "./_peers.ts";

async function bound(shell: Shell, name = "u", address = "127.0.0.1:0"): Promise<string> {
  return as(await shell.execute(`listen udp ${name} ${address}`), "socket").info.local;
}

Deno.test("open udp talks to a socat echo peer, one datagram per recv", async () => {
  const { peer, port } = await socatListening(["UDP-LISTEN:0,bind=127.0.0.1", "EXEC:cat"]);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 3000 });
  const a = as(await shell.execute(`open udp a 127.0.0.1:${port}`), "socket");
  assertEquals(a.info.kind, "udp");
  assertEquals(a.info.remote, `127.0.0.1:${port}`);
  await shell.execute("send a first");
  assertEquals(text(await shell.execute("recv a")), "first");
  // One at a time: `cat` reads socat's pipe, so two datagrams in flight may come back as one.
  await shell.execute("send a second");
  assertEquals(text(await shell.execute("recv a")), "second");
  await shell.execute("send a third");
  assertEquals(text(await shell.execute("recv a")), "third");
});

Deno.test("each socat sender to a bound socket becomes its own child that hears only its replies", async () => {
  await using shell = new Shell({ timeout: 3000 });
  const addr = await bound(shell);
  await using one = spawnPeer("socat", ["-t", "2", "-", `UDP:${addr}`]);
  await one.write("from-one\n");
  const first = as(await shell.execute("recvfrom u"), "data");
  assertEquals(text(first), "from-one\n");
  assertMatch(first.from ?? "", /^127\.0\.0\.1:\d+$/);
  await using two = spawnPeer("socat", ["-t", "2", "-", `UDP:${addr}`]);
  await two.write("from-two\n");
  assertEquals(text(await shell.execute("recvfrom u")), "from-two\n");

  const ls = as(await shell.execute("ls u.*"), "table");
  assertEquals(ls.rows.map((r) => [r[0], r[4]]), [["u.1", first.from], ["u.2", ls.rows[1][4]]]);

  await shell.execute('send u.2 "reply-to-two\\n"');
  await shell.execute('send u.1 "reply-to-one\\n"');
  await one.waitFor(/reply-to-one/);
  await two.waitFor(/reply-to-two/);
  assert(!one.stdout().includes("two"), "peer one hears only its own reply");
});

Deno.test("recv on a child reads only that peer's datagrams; the bound socket reads all", async () => {
  await using shell = new Shell({ timeout: 2000 });
  const addr = await bound(shell);
  await shell.execute(`open udp a ${addr}`);
  await shell.execute(`open udp b ${addr}`);
  await shell.execute("send a a1");
  await eventually(() => shell.registry.has("u.1"), "a's first datagram to make u.1");
  await shell.execute("send b b1");
  await shell.execute("send a a2");
  await eventually(
    () => shell.registry.has("u.2") && shell.registry.get("u.1", "test").info().buffered === 4,
    "b1 and a2 to arrive",
  );
  assertEquals(text(await shell.execute("recv u.1")), "a1");
  assertEquals(text(await shell.execute("recv u.1")), "a2");
  assertEquals(text(await shell.execute("recv u")), "b1");
});

Deno.test("a datagram longer than MAX is reported as truncated, never silently cut", async () => {
  await using shell = new Shell({ timeout: 2000 });
  const addr = await bound(shell);
  await shell.execute(`open udp a ${addr}`);
  await shell.execute("send a 0123456789");
  await shell.execute("send a next");
  const cut = as(await shell.execute("recvfrom u 4"), "data");
  assertEquals([text(cut), cut.truncated], ["0123", true]);
  assertMatch(renderResult(cut, shell.settings), /^from 127\.0\.0\.1:\d+ "0123" \(truncated\)$/);
  const whole = as(await shell.execute("recv u.1 4"), "data");
  assertEquals([text(whole), whole.truncated], ["next", undefined]);
});

Deno.test("send with several payload parts, and sendline, send one datagram each", async () => {
  await using shell = new Shell({ timeout: 2000 });
  const addr = await bound(shell);
  await shell.execute(`open udp a ${addr}`);
  await shell.execute('send a "GET" " " hex:2f "\r\n"');
  await shell.execute("sendline a hi there");
  assertEquals(text(await shell.execute("recv u")), "GET /\r\n");
  assertEquals(text(await shell.execute("recv u")), "hi there\n");
});

Deno.test("recvline and expect on UDP match within one datagram and keep the rest of it", async () => {
  await using shell = new Shell({ timeout: 2000 });
  const addr = await bound(shell);
  await shell.execute(`open udp a ${addr}`);
  await shell.execute('send a "one\\ntwo\\n"');
  await shell.execute("send a no-newline");
  await shell.execute('send a "+OK ready\\r\\n"');
  assertEquals(text(await shell.execute("recvline u")), "one\n");
  assertEquals(text(await shell.execute("recvline u")), "two\n");
  const err = await failure(shell, "recvline u");
  assertMatch(
    err,
    /^error: Cannot recvline from "u": the next datagram \(10 bytes\) holds no delimiter/,
  );
  assertEquals(text(await shell.execute("recv u")), "no-newline");
  assertEquals(text(await shell.execute("expect u /^\\+OK \\w+/")), "+OK ready");
});

Deno.test("large datagrams arrive whole; one too long for UDP is a one-line error", async () => {
  await using shell = new Shell({ timeout: 2000 });
  const addr = await bound(shell);
  await shell.execute(`open udp a ${addr}`);
  const big = "ab".repeat(30000);
  await shell.execute(`send a ${big}`);
  assertEquals(text(await shell.execute("recv u 65536")).length, 60000);
  const err = await failure(shell, `send a ${"x".repeat(70000)}`);
  assertEquals(
    err,
    'error: Cannot send to "a": 70000 bytes is over the largest UDP datagram of 65527 bytes',
  );
});

Deno.test("sendto reaches any address from the bound socket, and the reply makes a child", async () => {
  const { peer, port } = await socatListening(["UDP-LISTEN:0,bind=127.0.0.1", "EXEC:cat"]);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 3000 });
  await bound(shell);
  assertMatch(
    as(await shell.execute(`sendto u 127.0.0.1:${port} "ping"`), "message").text,
    /^sent 4 bytes to 127\.0\.0\.1:\d+ from u$/,
  );
  const echoed = as(await shell.execute("recvfrom u"), "data");
  assertEquals([text(echoed), echoed.from], ["ping", `127.0.0.1:${port}`]);
  assertEquals(as(await shell.execute("ls u.1"), "table").rows[0][4], `127.0.0.1:${port}`);
});

Deno.test("UDP works over IPv6 and shows bracketed addresses", async () => {
  await using shell = new Shell({ timeout: 2000 });
  const addr = await bound(shell, "six", "[::1]:0");
  assertMatch(addr, /^\[::1\]:\d+$/);
  const a = as(await shell.execute(`open udp a ${addr}`), "socket");
  assertMatch(a.info.local, /^\[::1\]:\d+$/);
  await shell.execute("send a hi6");
  const got = as(await shell.execute("recvfrom six"), "data");
  assertEquals([text(got), got.from], ["hi6", a.info.local]);
  await shell.execute("send six.1 back");
  assertEquals(text(await shell.execute("recv a")), "back");
});

Deno.test("a datagram to a closed port is sent, and the missing reply is a timeout, not a hang", async () => {
  await using shell = new Shell();
  const gone = await bound(shell, "gone");
  await shell.execute("close gone");
  await shell.execute(`open udp a ${gone}`);
  assertEquals(as(await shell.execute("send a hello"), "message").text, "sent 5 bytes to a");
  const err = await failure(shell, "recv a --timeout 200ms");
  assertEquals(err, 'error: Cannot recv from "a": timed out after 200ms (nothing buffered)');
  assertEquals(as(await shell.execute("ls a"), "table").rows[0][2], "open");
});

Deno.test("binding a UDP port already in use is a one-line error and the shell goes on", async () => {
  await using shell = new Shell();
  const addr = await bound(shell);
  assertEquals(
    await failure(shell, `listen udp again ${addr}`),
    `error: Cannot listen "again": address ${addr} already in use`,
  );
  as(await shell.execute("ls"), "table");
});

Deno.test("sendto and recvfrom refuse stream sockets and bad addresses in one line", async () => {
  await using shell = new Shell();
  await shell.execute("listen tcp t 127.0.0.1:0");
  assertMatch(
    await failure(shell, "recvfrom t"),
    /^error: Cannot recvfrom "t": not a datagram socket \(tcp\); sendto and recvfrom work on udp/,
  );
  await bound(shell);
  assertMatch(
    await failure(shell, "sendto u nowhere hi"),
    /^error: Cannot send to "u": bad address "nowhere": expected HOST:PORT/,
  );
  assertMatch(await failure(shell, "send u hi"), /^error: Cannot send to "u": it is a bound/);
});

Deno.test("a bound socket joins a multicast group on loopback and hears the group", async () => {
  await using shell = new Shell({ timeout: 2000 });
  let joined: string;
  try {
    joined = as(
      await shell.execute(
        "listen udp m 239.255.77.1:0 --multicast 239.255.77.1 --interface 127.0.0.1",
      ),
      "socket",
    ).info.local;
  } catch (error) {
    // Some kernels and sandboxes have no multicast on loopback: say so instead of failing.
    console.log(`multicast unavailable here: ${(error as Error).message}`);
    return;
  }
  assertMatch(as(await shell.execute("ls m"), "table").rows[0][8], /multicast 239\.255\.77\.1/);
  const port = joined.split(":").at(-1);
  await bound(shell, "sender");
  await shell.execute(`sendto sender 239.255.77.1:${port} to-the-group`);
  assertEquals(text(await shell.execute("recv m")), "to-the-group");
  assertEquals(
    as(await shell.execute("multicast m leave 239.255.77.1"), "message").text,
    "m left 239.255.77.1",
  );
  assertMatch(await failure(shell, "multicast m leave 239.255.77.1"), /not a member/);
});
