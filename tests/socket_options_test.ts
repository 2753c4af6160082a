/** open --bind, --nodelay, --keepalive; listen --reuseport; sockopt. Real sockets on loopback. */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { as, closedPort, echoPeer } from "./_helpers.ts";
import { failure, text } from "./_peers.ts";

const port = (l: Deno.Listener) => (l.addr as Deno.NetAddr).port;

/** What `ss` says about the TCP connection from local port `from`. */
async function ssLine(from: number): Promise<string> {
  const out = await new Deno.Command("ss", { args: ["-tnoH", "sport", "=", `:${from}`] }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("open tcp --bind ADDR:PORT connects from that port, and the peer sees it", async () => {
  await using shell = new Shell({ timeout: 5000 });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const source = closedPort();
    const accepted = listener.accept();
    const a = as(
      await shell.execute(`open tcp a 127.0.0.1:${port(listener)} --bind 127.0.0.1:${source}`),
      "socket",
    );
    assertEquals(a.info.local, `127.0.0.1:${source}`);
    const conn = await accepted;
    assertEquals((conn.remoteAddr as Deno.NetAddr).port, source);
    await conn.write(new TextEncoder().encode("seen\n"));
    assertEquals(text(await shell.execute("recvline a")), "seen\n");
    conn.close();
    // The same source port while a is still connected from it: one line, address-in-use.
    assertEquals(
      await failure(shell, `open tcp b 127.0.0.1:${port(listener)} --bind 127.0.0.1:${source}`),
      `error: Cannot open "b": --bind 127.0.0.1:${source}: address already in use`,
    );
  } finally {
    listener.close();
  }
});

Deno.test("open udp --bind sends from that port: the receiver names it as the sender", async () => {
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute("listen udp u :0");
  const at = shell.registry.get("u", "read").info().local;
  const source = closedPort();
  await shell.execute(`open udp a ${at} --bind 127.0.0.1:${source}`);
  await shell.execute("send a ping");
  const got = as(await shell.execute("recvfrom u"), "data");
  assertEquals(got.from, `127.0.0.1:${source}`);
});

Deno.test("--keepalive D sets the idle time the kernel counts down; sockopt shows it and --nodelay", async () => {
  await using echo = echoPeer();
  await using shell = new Shell({ timeout: 5000 });
  const a = as(
    await shell.execute(`open tcp a 127.0.0.1:${port(echo)} --keepalive 45s --nodelay off`),
    "socket",
  );
  const from = Number(a.info.local.split(":").at(-1));
  assertMatch(await ssLine(from), /timer:\(keepalive,(4[0-5]|3\d)sec,0\)/);
  assertEquals(as(await shell.execute("sockopt a"), "table").rows, [
    ["nodelay", "off"],
    ["keepalive", "on (idle 45s)"],
  ]);
  // Changed on the open socket: the kernel's timer follows.
  await shell.execute("sockopt a keepalive 20s");
  assertMatch(await ssLine(from), /timer:\(keepalive,(1\d|20)sec,0\)/);
  await shell.execute("sockopt a keepalive off");
  assert(!/keepalive/.test(await ssLine(from)));
  await shell.execute("sockopt a nodelay on");
  assertEquals(as(await shell.execute("sockopt a nodelay"), "table").rows, [["nodelay", "on"]]);
  await shell.execute("sendline a still-works");
  assertEquals(text(await shell.execute("recvline a")), "still-works\n");
});

Deno.test("a plain open has nodelay on and keepalive off; keepalive on uses the system's idle time", async () => {
  await using echo = echoPeer();
  await using shell = new Shell({ timeout: 5000 });
  const a = as(await shell.execute(`open tcp a 127.0.0.1:${port(echo)}`), "socket");
  const from = Number(a.info.local.split(":").at(-1));
  assertEquals(as(await shell.execute("sockopt a"), "table").rows, [
    ["nodelay", "on"],
    ["keepalive", "off"],
  ]);
  assert(!/keepalive/.test(await ssLine(from)));
  await shell.execute("sockopt a keepalive on");
  assertMatch(await ssLine(from), /timer:\(keepalive,/);
  assertMatch(as(await shell.execute("sockopt a keepalive"), "table").rows[0][1], /^on \(system/);
  assertEquals(
    await failure(shell, "sockopt a keepalive 30s"),
    'error: Cannot sockopt "a": keepalive "30s": Deno cannot set the idle time of this ' +
      "connection; open it with --keepalive D, or use keepalive on (the system's)",
  );
});

Deno.test("sockopt works on an accepted child, and refuses a listener, a udp socket and bad values", async () => {
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute("listen tcp srv :0");
  await shell.execute(`open tcp a ${shell.registry.get("srv", "read").info().local}`);
  await shell.execute("accept srv");
  assertEquals(as(await shell.execute("sockopt srv.1 nodelay off"), "table").rows, [
    ["nodelay", "off"],
  ]);
  await shell.execute("listen udp u :0");
  assertMatch(await failure(shell, "sockopt srv"), /^error: Cannot sockopt "srv": /);
  assertMatch(await failure(shell, "sockopt u"), /^error: Cannot sockopt "u": /);
  assertEquals(
    await failure(shell, "sockopt a nodelay maybe"),
    'error: Cannot sockopt "a": nodelay takes on or off, not "maybe"',
  );
  assertMatch(await failure(shell, "sockopt a window 5"), /unknown option "window"/);
  assertMatch(await failure(shell, "sockopt a window"), /unknown option "window"/);
});

Deno.test("bad --bind, --nodelay and --keepalive values are one-line errors", async () => {
  await using shell = new Shell({ timeout: 5000 });
  const to = `127.0.0.1:${closedPort()}`;
  assertEquals(
    await failure(shell, `open tcp a ${to} --nodelay yes`),
    'error: Cannot open "a": --nodelay takes on or off, not "yes"',
  );
  assertMatch(
    await failure(shell, `open tcp a ${to} --keepalive 10ms`),
    /^error: Cannot open "a": --keepalive "10ms": use whole seconds, at least 1s \(or off\)$/,
  );
  assertMatch(await failure(shell, `open tcp a ${to} --bind 127.0.0.1:99999`), /bad port/);
  assertMatch(
    await failure(shell, `open tcp a ${to} --bind 10.255.255.1`),
    /^error: Cannot open "a": --bind 10\.255\.255\.1:0: not an address of this machine/,
  );
  assertEquals(
    await failure(shell, `open unix a /tmp/x.sock --bind 127.0.0.1`),
    'error: Cannot open "a": --bind is for tcp, tls and udp sockets, not unix',
  );
});

Deno.test("listen --reuseport lets two listeners share one port; without it the second is refused", async () => {
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute("listen tcp one :0 --reuseport");
  const at = shell.registry.get("one", "read").info().local;
  const two = as(await shell.execute(`listen tcp two ${at} --reuseport`), "socket");
  assertEquals(two.info.local, at);
  assertMatch(await failure(shell, `listen tcp three ${at}`), /already in use/);
  // Connections reach one of them (the kernel spreads them): each is accepted and talks.
  for (let i = 0; i < 4; i++) await shell.execute(`open tcp c${i} ${at}`);
  const children = () =>
    shell.registry.all().filter((s) => /^(one|two)\.\d+$/.test(s.name)).map((s) => s.name);
  assertEquals(children().length, 4);
  assertMatch(
    await failure(shell, "listen udp u :0 --reuseport"),
    /--reuseport is for tcp and tls, not udp/,
  );
});
