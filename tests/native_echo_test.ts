/**
 * The native echo loop (`protocols/native/`): what `serve echo tcp` runs where it can (Linux,
 * `--allow-ffi`, an IP address), and where it falls back to the `Deno.listen` server.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { startServer } from "../protocols/mod.ts";
import type { ServerEvent } from "../protocols/server.ts";
import { Shell } from "../shell/shell.ts";
import { eventually } from "./_helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);

async function connect(addr: Deno.Addr): Promise<Deno.TcpConn> {
  const { hostname, port } = addr as Deno.NetAddr;
  return await Deno.connect({ hostname, port });
}

/** Reads exactly `n` bytes (or fewer if the stream ends first). */
async function readBytes(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const got = await conn.read(out.subarray(at));
    if (got === null) return out.subarray(0, at);
    at += got;
  }
  return out;
}

Deno.test("echo over tcp runs on the native loop with --allow-ffi, and says so", async () => {
  await using server = await startServer("echo", "tcp", "127.0.0.1:0");
  assertEquals(server.detail, "native loop, busy-poll 50 µs");
  const conn = await connect(server.addr);
  await conn.write(enc("hello"));
  assertEquals(await readBytes(conn, 5), enc("hello"));
  conn.close();
});

Deno.test("the native loop returns 8 MiB whole and in order to a client that reads late", async () => {
  await using server = await startServer("echo", "tcp", "127.0.0.1:0");
  const conn = await connect(server.addr);
  const data = new Uint8Array(8 * 1024 * 1024);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 13)) & 0xff;
  const writing = (async () => {
    for (let at = 0; at < data.length;) at += await conn.write(data.subarray(at));
  })();
  // Nothing is read for a while: the server's echoes fill the socket buffers and it must hold
  // what the client does not take, without reading more, until the client reads again.
  await eventually(() => {
    const { bytesIn, bytesOut } = server.stats();
    return bytesIn > bytesOut;
  }, "the server to hold echo bytes the client has not taken");
  const deadline = setTimeout(() => conn.close(), 10_000); // a lost byte fails, never hangs
  const back = await readBytes(conn, data.length);
  await writing;
  clearTimeout(deadline);
  assertEquals(back.length, data.length);
  assert(back.every((b, i) => b === data[i]), "the echo differs from what was sent");
  conn.close();
});

Deno.test("the native loop reports accepted and closed events and counts bytes", async () => {
  const events: ServerEvent[] = [];
  await using server = await startServer("echo", "tcp", "127.0.0.1:0", {}, (e) => events.push(e));
  const conn = await connect(server.addr);
  await conn.write(enc("abc"));
  await readBytes(conn, 3);
  // The worker counts bytes out after send() returns, which can be after the client has them.
  await eventually(() => server.stats().bytesOut === 3, "the echo to be counted");
  assertEquals(server.stats(), { active: 1, total: 1, bytesIn: 3, bytesOut: 3 });
  conn.close();
  await eventually(() => events.length === 2, "the closed event");
  assertEquals(events[0].type, "accepted");
  assertMatch((events[0] as { remote: string }).remote, /^127\.0\.0\.1:\d+$/);
  const { remote } = events[0] as { remote: string };
  assertEquals(events[1], {
    type: "closed",
    id: 1,
    remote,
    bytesIn: 3,
    bytesOut: 3,
    why: undefined,
  });
  assertEquals(server.stats(), { active: 0, total: 1, bytesIn: 3, bytesOut: 3 });
});

Deno.test("closing the native server ends every connection with 'server stopped'", async () => {
  const events: ServerEvent[] = [];
  const server = await startServer("echo", "tcp", "127.0.0.1:0", {}, (e) => events.push(e));
  const a = await connect(server.addr);
  const b = await connect(server.addr);
  await a.write(enc("x"));
  await readBytes(a, 1);
  await eventually(() => server.stats().active === 2, "two connections");
  await server.close();
  assertEquals(await a.read(new Uint8Array(1)), null);
  assertEquals(await b.read(new Uint8Array(1)), null);
  const closed = events.filter((e) => e.type === "closed");
  assertEquals(closed.map((e) => e.type === "closed" && e.why), [
    "server stopped",
    "server stopped",
  ]);
  await server.close(); // idempotent
  a.close();
  b.close();
});

Deno.test("a port in use is the same one-line error as for every other server", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${taken.addr.port}`;
  await using shell = new Shell();
  await assertRejects(shell.execute(`serve echo tcp e ${address}`), {
    message: `Cannot serve "e": address ${address} already in use`,
  });
});

Deno.test("the native loop serves IPv6 on [::1]", async () => {
  await using server = await startServer("echo", "tcp", "[::1]:0");
  assertEquals((server.addr as Deno.NetAddr).hostname, "::1");
  const conn = await connect(server.addr);
  await conn.write(enc("six"));
  assertEquals(await readBytes(conn, 3), enc("six"));
  conn.close();
});

Deno.test("--busy-poll 0 turns polling off; an out-of-range value is a one-line error", async () => {
  await using shell = new Shell();
  const r = await shell.execute("serve echo tcp e :0 --busy-poll 0");
  assert(r.kind === "socket", JSON.stringify(r));
  await shell.execute(`open tcp a ${r.info.local}`);
  await shell.execute("send a ping");
  const back = await shell.execute("recv a 4");
  assertEquals(back.kind === "data" && new TextDecoder().decode(back.data), "ping");
  await assertRejects(shell.execute("serve echo tcp f :0 --busy-poll 5000000"), {
    message: 'Cannot serve "f": bad --busy-poll "5000000": use 0-1000000 µs',
  });
});

Deno.test("native: false, a host name or a frame use the Deno.listen server", async () => {
  for (
    const [address, options] of [
      ["127.0.0.1:0", { native: false }],
      ["localhost:0", {}],
      ["127.0.0.1:0", { frame: "line" }],
    ] as const
  ) {
    await using server = await startServer("echo", "tcp", address, options);
    // A host name is the one case the native loop was asked for and could not take: it says why.
    const why = address.startsWith("localhost")
      ? "Deno loop; native loop off: not an IP address"
      : undefined;
    assertEquals(server.detail, why, address);
    const conn = await connect(server.addr);
    await conn.write(enc("same\n"));
    assertEquals(await readBytes(conn, 5), enc("same\n"));
    conn.close();
  }
});

Deno.test("200 clients at once each get their own bytes back from the native loop", async () => {
  await using server = await startServer("echo", "tcp", "127.0.0.1:0");
  const conns = await Promise.all(Array.from({ length: 200 }, () => connect(server.addr)));
  await Promise.all(conns.map((c, i) => c.write(enc(`client ${i}\n`))));
  const answers = await Promise.all(
    conns.map(async (c, i) => new TextDecoder().decode(await readBytes(c, `client ${i}\n`.length))),
  );
  assertEquals(answers, conns.map((_, i) => `client ${i}\n`));
  assertEquals(server.stats().total, 200);
  for (const c of conns) c.close();
});
