/**
 * Toxics (faults on purpose) on a shell relay, measured against real peers (Python socket
 * programs): the effects issue 16 asks for, in its bands — latency, bandwidth, slicer,
 * reset_peer, limit_data, toxicity — plus bytes kept whole and in order through a stack of
 * toxics, toxics removed while bytes flow, and one-line errors.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import type { SocketEvent } from "../sockets/named_socket.ts";
import { as, eventually } from "./_helpers.ts";
import { failure, type Peer, spawnPeer } from "./_peers.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** A Python TCP server on 127.0.0.1:0 running `body` per connection `c`, a thread each. */
async function python(body: string): Promise<{ port: number } & AsyncDisposable> {
  const code = [
    "import socket, threading",
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(256)",
    "print('PORT', s.getsockname()[1], flush=True)",
    "def serve(c):",
    "  try:",
    ...body.trim().split("\n").map((l) => "    " + l),
    "  except OSError: pass",
    "  finally: c.close()",
    "while True:",
    "    c, _ = s.accept()",
    "    threading.Thread(target=serve, args=(c,), daemon=True).start()",
  ].join("\n");
  const peer = spawnPeer("python3", ["-c", code]);
  const m = await peer.waitFor(/^PORT (\d+)$/m);
  return { port: Number(m[1]), [Symbol.asyncDispose]: () => peer[Symbol.asyncDispose]() };
}

/** A Python echo server: every byte back, until the client ends. */
const pythonEcho = () =>
  python(`
while True:
    d = c.recv(65536)
    if not d: break
    c.sendall(d)`);

/** A Python client program run to its end; returns what it printed. */
async function pythonClient(code: string): Promise<string> {
  const peer: Peer = spawnPeer("python3", ["-c", code]);
  const code_ = await peer.exited();
  const out = peer.stdout();
  await peer[Symbol.asyncDispose]();
  if (code_ !== 0) throw new Error(`python client exited ${code_}: ${out}`);
  return out.trim();
}

/** `relay r :0 127.0.0.1:PORT` in a fresh shell; the relay's port and the shell's events. */
async function relayTo(target: number) {
  const shell = new Shell();
  const events: SocketEvent[] = [];
  shell.registry.subscribe((e) => events.push(e));
  const info = as(await shell.execute(`relay r :0 127.0.0.1:${target}`), "socket").info;
  return { shell, events, port: Number(info.local.split(":").at(-1)) };
}

async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(out.subarray(got));
    if (r === null) throw new Error(`end of stream after ${got} of ${n} bytes`);
    got += r;
  }
  return out;
}

async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) out.set(c, (at += c.length) - c.length);
  return out;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("with latency 200ms (down) a round trip through the relay takes ≥ 200 ms and < 300 ms", async () => {
  await using echo = await pythonEcho();
  const { shell, port } = await relayTo(echo.port);
  await using _ = shell;
  await shell.execute("toxic r add latency 200ms --down");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const trips: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await conn.write(enc(`ping ${i}\n`));
    assertEquals(dec(await readExactly(conn, 7)), `ping ${i}\n`);
    trips.push(performance.now() - t0);
  }
  conn.close();
  console.log(
    `round trips with latency 200ms --down: ${trips.map((t) => t.toFixed(0)).join(", ")} ms`,
  );
  for (const t of trips) assert(t >= 200 && t < 300, `round trip ${t.toFixed(1)} ms`);
});

Deno.test("latency on both directions (the default) delays each way: a round trip takes ≥ 2 × D", async () => {
  await using echo = await pythonEcho();
  const { shell, port } = await relayTo(echo.port);
  await using _ = shell;
  await shell.execute("toxic r add latency 100ms");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const t0 = performance.now();
  await conn.write(enc("x"));
  await readExactly(conn, 1);
  const trip = performance.now() - t0;
  conn.close();
  assert(trip >= 200 && trip < 300, `round trip ${trip.toFixed(1)} ms`);
});

Deno.test("bandwidth 1MB/s moves 2 MB in 1.8–2.5 s (Python sender)", async () => {
  await using sender = await python("c.sendall(b'x' * 2_000_000)");
  const { shell, port } = await relayTo(sender.port);
  await using _ = shell;
  await shell.execute("toxic r add bandwidth 1MB/s --down");
  const t0 = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const got = await readToEnd(conn);
  const s = (performance.now() - t0) / 1000;
  conn.close();
  console.log(`bandwidth 1MB/s: 2 000 000 bytes in ${s.toFixed(2)} s`);
  assertEquals(got.length, 2_000_000);
  assert(s >= 1.8 && s <= 2.5, `took ${s.toFixed(2)} s`);
});

Deno.test("slicer --size 1 delivers byte-exact data in single-byte reads to a Python peer", async () => {
  const payload = "sliced, byte by byte!";
  await using sender = await python(`c.sendall(b'${payload}')`);
  const { shell, port } = await relayTo(sender.port);
  await using _ = shell;
  await shell.execute("toxic r add slicer --size 1 --delay 25ms --down");
  const out = await pythonClient(`
import socket, json
s = socket.create_connection(("127.0.0.1", ${port}))
reads = []
while True:
    d = s.recv(4096)
    if not d: break
    reads.append(d.decode())
print(json.dumps(reads))`);
  const reads: string[] = JSON.parse(out);
  assertEquals(reads.join(""), payload);
  assertEquals(reads.map((r) => r.length), [...payload].map(() => 1));
});

Deno.test("reset_peer gives the peer ECONNRESET, and the closed event says why", async () => {
  await using echo = await pythonEcho();
  const { shell, events, port } = await relayTo(echo.port);
  await using _ = shell;
  await shell.execute("toxic r add reset_peer --after 100ms");
  const out = await pythonClient(`
import socket
s = socket.create_connection(("127.0.0.1", ${port}))
s.sendall(b"hello")
print(s.recv(5))
try:
    while s.recv(100): pass
    print("end of stream")
except ConnectionResetError as e:
    print("ECONNRESET", e.errno)`);
  assertEquals(out, "b'hello'\nECONNRESET 104");
  const closed = await eventually(
    () => events.find((e) => e.type === "closed" && e.name === "r#1"),
    "the closed event",
  );
  assertMatch(JSON.stringify(closed), /reset_peer: reset after 100ms/);
});

Deno.test("limit_data 100 closes after exactly 100 bytes; ls and the event count what was cut", async () => {
  await using sender = await python("c.sendall(bytes(range(250)) * 4)");
  const { shell, events, port } = await relayTo(sender.port);
  await using _ = shell;
  await shell.execute("toxic r add limit_data 100 --down");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const got = await readToEnd(conn);
  conn.close();
  assertEquals([...got], [...Array(100).keys()]);
  const closed = await eventually(
    () => events.find((e) => e.type === "closed" && e.name === "r#1"),
    "the closed event",
  );
  assertMatch(JSON.stringify(closed), /cut \d+ bytes; limit_data: closed after 100 bytes/);
  const ls = as(await shell.execute("toxic r ls"), "table");
  assertEquals(ls.rows[0].slice(0, 3), ["limit_data", "limit_data 100 --down", "1/1"]);
  assert(Number(ls.rows[0][3]) > 0, "cut bytes counted");
  assertEquals(ls.rows[0][4], "1");
});

Deno.test("a toxicity of 0.5 hits about half of 200 connections", async () => {
  await using echo = await pythonEcho();
  const { shell, port } = await relayTo(echo.port);
  await using _ = shell;
  await shell.execute("toxic r add limit_data 0 --toxicity 0.5 --as half");
  let cut = 0;
  for (let i = 0; i < 200; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(enc("x"));
      const n = await conn.read(new Uint8Array(1));
      if (n === null) cut++;
    } catch {
      cut++; // a reset, if the close raced our write
    } finally {
      conn.close();
    }
  }
  const [row] = as(await shell.execute("toxic r ls"), "table").rows;
  console.log(`toxicity 0.5: ${cut} of 200 connections cut; ls says applied ${row[2]}`);
  assert(cut >= 70 && cut <= 130, `${cut} of 200 cut`);
  assertEquals(row[2], `${cut}/200`);
});

Deno.test("1 MiB of random bytes comes back byte-exact through slicer, latency with jitter and bandwidth, both ways", async () => {
  await using echo = await pythonEcho();
  const { shell, port } = await relayTo(echo.port);
  await using _ = shell;
  await shell.execute("toxic r add slicer --size 1500 --variation 1000");
  await shell.execute("toxic r add latency 5ms --jitter 5ms");
  await shell.execute("toxic r add bandwidth 20MB/s");
  const payload = new Uint8Array(1024 * 1024);
  for (let i = 0; i < payload.length; i += 65536) {
    crypto.getRandomValues(payload.subarray(i, i + 65536));
  }
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const writing = (async () => {
    for (let off = 0; off < payload.length;) off += await conn.write(payload.subarray(off));
    await conn.closeWrite();
  })();
  const back = await readToEnd(conn);
  await writing;
  conn.close();
  assertEquals(back.length, payload.length);
  assertEquals(await sha256(back), await sha256(payload));
});

Deno.test("toxics removed and cleared while bytes flow: every byte arrives once, in order", async () => {
  await using echo = await pythonEcho();
  const { shell, port } = await relayTo(echo.port);
  await using _ = shell;
  await shell.execute("toxic r add latency 50ms --jitter 40ms --as lag");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let sent = "";
  let got = "";
  let stop = false;
  const writing = (async () => {
    for (let i = 0; !stop; i++) {
      const line = `line ${i}\n`;
      await conn.write(enc(line));
      sent += line;
      await new Promise((r) => setTimeout(r, 1)); // pace the sender, not the test
    }
    await conn.closeWrite();
  })();
  const reading = (async () => {
    const buf = new Uint8Array(65536);
    while (true) {
      const n = await conn.read(buf);
      if (n === null) return;
      got += dec(buf.subarray(0, n));
    }
  })();
  await eventually(() => got.length > 200, "bytes through the latency", 10_000);
  await shell.execute("toxic r rm lag");
  const before = got.length;
  await eventually(() => got.length > before + 200, "bytes after the rm", 10_000);
  await shell.execute("toxic r add slicer --size 3 --delay 1ms");
  await shell.execute("toxic r add latency 20ms");
  const more = got.length;
  await eventually(() => got.length > more + 200, "bytes through the new toxics", 10_000);
  assertEquals(as(await shell.execute("toxic r clear"), "message").text, "r: removed 2 toxics");
  const cleared = got.length;
  await eventually(() => got.length > cleared + 200, "bytes after the clear", 10_000);
  stop = true;
  await writing;
  await reading;
  conn.close();
  assertEquals(got, sent);
});

Deno.test("bad toxics are one-line errors naming the relay and the value, with the nearest word", async () => {
  await using echo = await pythonEcho();
  const { shell } = await relayTo(echo.port);
  await using _ = shell;
  await shell.execute("serve echo tcp e 127.0.0.1:0");
  const cases: [string, RegExp][] = [
    ["toxic r add latncy 1s", /Cannot toxic "r": unknown toxic "latncy".*did you mean latency\?/],
    ["toxic r add bandwidth fast", /Cannot toxic "r" bandwidth: bad rate "fast"/],
    ["toxic r add slicer --sise 1", /unknown option --sise.*did you mean --size\?/],
    ["toxic r add slicer", /Cannot toxic "r" slicer: missing --size/],
    ["toxic r add latency", /Cannot toxic "r" latency: missing delay/],
    ["toxic r add latency 1x", /Cannot toxic "r" latency: bad duration "1x"/],
    ["toxic r add timeout 1s --toxicity 1.5", /bad toxicity "1.5"/],
    ["toxic r rm nope", /Cannot toxic "r": no toxic "nope"/],
    ["toxic r lss", /Cannot toxic "r": unknown action "lss".*did you mean ls\?/],
    ["toxic e add latency 1s", /Cannot toxic "e": "e" is not a relay/],
    ["toxic nobody ls", /nobody/],
  ];
  for (const [line, re] of cases) assertMatch(await failure(shell, line), re, line);
  await shell.execute("toxic r add latency 1s --as slow");
  assertMatch(await failure(shell, "toxic r add latency 2s --as slow"), /already a toxic "slow"/);
  // The shell still runs, and ls of the relay names its toxics.
  const ls = as(await shell.execute("ls r"), "table");
  assertMatch(ls.rows[0].at(-1)!, /toxics: slow/);
});

Deno.test("timeout 300ms lets nothing through and closes the connection about 300 ms later", async () => {
  await using echo = await pythonEcho();
  const { shell, events, port } = await relayTo(echo.port);
  await using _ = shell;
  await shell.execute("toxic r add timeout 300ms --up");
  const t0 = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(enc("lost"));
  const got = await readToEnd(conn);
  const ms = performance.now() - t0;
  conn.close();
  assertEquals(got.length, 0);
  assert(ms >= 300 && ms < 1300, `closed after ${ms.toFixed(0)} ms`);
  const closed = await eventually(
    () => events.find((e) => e.type === "closed" && e.name === "r#1"),
    "the closed event",
  );
  assertMatch(JSON.stringify(closed), /cut 4 bytes; timeout: closed after 300ms/);
});

Deno.test("slow_close 300ms holds the end of stream back, the bytes before it not", async () => {
  await using sender = await python("c.sendall(b'bye')\nc.shutdown(socket.SHUT_WR)\nc.recv(1)");
  const { shell, port } = await relayTo(sender.port);
  await using _ = shell;
  await shell.execute("toxic r add slow_close 300ms --down");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const t0 = performance.now();
  const buf = new Uint8Array(8);
  const n = await conn.read(buf);
  const first = performance.now() - t0;
  assertEquals(dec(buf.subarray(0, n!)), "bye");
  assertEquals(await conn.read(buf), null);
  const end = performance.now() - t0;
  conn.close();
  assert(first < 200, `the bytes took ${first.toFixed(0)} ms`);
  assert(end >= 300, `the end of stream came after ${end.toFixed(0)} ms`);
});
