/** `serve broker`: ncat's `--broker`, bytes from each client to every other client unchanged. */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { startServer } from "../protocols/mod.ts";
import type { ServerEvent } from "../protocols/mod.ts";
import { eventually } from "./_helpers.ts";
import { randomBytes, runPeer } from "./_pipes.ts";

async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const buf = new Uint8Array(n);
  for (let got = 0; got < n;) {
    const r = await conn.read(buf.subarray(got));
    if (r === null) throw new Error(`closed after ${got} of ${n} bytes`);
    got += r;
  }
  return buf;
}

Deno.test("broker: bytes from each of three clients reach the other two unchanged, not the sender", async () => {
  await using server = await startServer("broker", "tcp", "127.0.0.1:0");
  const { port } = server.addr as Deno.NetAddr;
  const clients = await Promise.all(
    [0, 1, 2].map(() => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  await eventually(() => server.stats().active === 3, "three clients in the broker");
  const payloads = clients.map(() => randomBytes(100_000)); // binary, NUL bytes and all
  for (const [i, conn] of clients.entries()) {
    await conn.write(payloads[i]).then(async function more(n): Promise<void> {
      if (n < payloads[i].length) await conn.write(payloads[i].subarray(n)).then(more);
    });
    for (const [j, other] of clients.entries()) {
      if (j !== i) assertEquals(await readExactly(other, payloads[i].length), payloads[i]);
    }
  }
  // The senders got nothing of their own: a marker from client 0 is the next thing 1 reads.
  await clients[0].write(new Uint8Array([7]));
  assertEquals(await readExactly(clients[1], 1), new Uint8Array([7]));
  for (const c of clients) c.close();
});

Deno.test("broker works with ncat clients: what one sends, the other prints", async () => {
  await using server = await startServer("broker", "tcp", "127.0.0.1:0");
  const { port } = server.addr as Deno.NetAddr;
  using listener = await Deno.connect({ hostname: "127.0.0.1", port });
  await eventually(() => server.stats().active === 1, "the first client in the broker");
  const sent = await runPeer(
    "ncat",
    ["--send-only", "127.0.0.1", String(port)],
    new TextEncoder().encode("from ncat\n"),
  );
  assertEquals(sent.code, 0);
  assertEquals(new TextDecoder().decode(await readExactly(listener, 10)), "from ncat\n");
});

Deno.test("broker drops a client that stops reading, and the others keep getting every byte", async () => {
  const events: ServerEvent[] = [];
  await using server = await startServer(
    "broker",
    "tcp",
    "127.0.0.1:0",
    { maxQueue: 256 * 1024 },
    (e) => events.push(e),
  );
  const { port } = server.addr as Deno.NetAddr;
  const sender = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = await Deno.connect({ hostname: "127.0.0.1", port });
  const stalled = await Deno.connect({ hostname: "127.0.0.1", port }); // never reads
  await eventually(() => server.stats().active === 3, "three clients in the broker");
  const payload = randomBytes(32 * 1024 * 1024);
  // The sender stays at most 128 KiB ahead of the reader: a reader that keeps up is never
  // dropped (the bound is 256 KiB behind), however loaded the machine, while the idle one is.
  const received = new Uint8Array(payload.length);
  let got = 0;
  let progress = () => {};
  const reading = (async () => {
    while (got < payload.length) {
      const n = await reader.read(received.subarray(got));
      if (n === null) throw new Error(`closed after ${got} of ${payload.length} bytes`);
      got += n;
      progress();
    }
  })();
  const step = 64 * 1024;
  for (let off = 0; off < payload.length; off += step) {
    while (off - got > 128 * 1024) await new Promise<void>((r) => progress = r);
    const piece = payload.subarray(off, off + step);
    for (let at = 0; at < piece.length;) at += await sender.write(piece.subarray(at));
  }
  await reading;
  assertEquals(received, payload);
  const drop = await eventually(
    () => events.find((e) => e.type === "notice" && e.trouble),
    "the stalled client dropped",
  );
  assert(drop.type === "notice" && /dropped: not reading/.test(drop.text), JSON.stringify(drop));
  for (const c of [sender, reader, stalled]) c.close();
});
