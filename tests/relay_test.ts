/**
 * `relay` against peers nobody here wrote: Python socket programs, socat, openssl s_client. Bytes
 * exact both ways (sha256), half-close both ways, resets passed on, TLS termination and
 * origination, UDP, `ls` counts and `close`, and the CLI form.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import type { SocketEvent } from "../sockets/named_socket.ts";
import { as, eventually, SOCKIT_RUN } from "./_helpers.ts";
import { failure, makeTestCerts, type Peer, socatListening, spawnPeer } from "./_peers.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A Python TCP server on 127.0.0.1:0 running `body` per connection `c`; prints `PORT n`. */
async function python(body: string): Promise<{ peer: Peer; port: number } & AsyncDisposable> {
  const code = [
    "import socket, sys, hashlib, struct, threading",
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(16)",
    "print('PORT', s.getsockname()[1], flush=True)",
    "def serve(c):",
    ...body.trim().split("\n").map((l) => "    " + l),
    "while True:",
    "    c, _ = s.accept()",
    "    threading.Thread(target=serve, args=(c,), daemon=True).start()",
  ].join("\n");
  const peer = spawnPeer("python3", ["-c", code]);
  const m = await peer.waitFor(/^PORT (\d+)$/m);
  return { peer, port: Number(m[1]), [Symbol.asyncDispose]: () => peer[Symbol.asyncDispose]() };
}

/** Starts `relay NAME LISTEN TARGET …` in the shell; returns the port clients connect to. */
async function relay(shell: Shell, line: string): Promise<number> {
  const info = as(await shell.execute(line), "socket").info;
  return Number(info.local.split(":").at(-1));
}

/** Reads until end of stream; a reset ends it too (returned as `reset`). */
async function readToEnd(conn: Deno.Conn): Promise<{ data: Uint8Array; reset: boolean }> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(256 * 1024);
  let reset = false;
  while (true) {
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch (error) {
      if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
      reset = true;
      break;
    }
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  const data = new Uint8Array(chunks.reduce((t, c) => t + c.length, 0));
  let off = 0;
  for (const c of chunks) data.set(c, (off += c.length) - c.length);
  return { data, reset };
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}

/** Events of `shell` collected as they come. */
function events(shell: Shell): SocketEvent[] {
  const seen: SocketEvent[] = [];
  shell.registry.subscribe((e) => seen.push(e));
  return seen;
}

const connect = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });

Deno.test("a binary payload crosses the relay byte for byte in both directions (sha256, Python echo)", async () => {
  await using server = await python(`
got = hashlib.sha256()
while True:
    b = c.recv(65536)
    if not b: break
    got.update(b)
    c.sendall(b)
print('GOT', got.hexdigest(), flush=True)
c.close()`);
  await using shell = new Shell();
  const port = await relay(shell, `relay r 127.0.0.1:0 tcp:127.0.0.1:${server.port}`);
  const payload = new Uint8Array(8 * 1024 * 1024);
  for (let i = 0; i < payload.length; i += 65536) {
    crypto.getRandomValues(payload.subarray(i, i + 65536));
  }
  const conn = await connect(port);
  const reading = readToEnd(conn);
  await writeAll(conn, payload);
  await conn.closeWrite();
  const { data } = await reading;
  conn.close();
  const sent = await sha256(payload);
  assertEquals((await server.peer.waitFor(/^GOT (\w+)$/m))[1], sent);
  assertEquals(await sha256(data), sent);
});

Deno.test("half-close: the server answers after the client's end of stream, and the answer arrives", async () => {
  await using server = await python(`
n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
c.sendall(('read %d bytes to EOF\\n' % n).encode())
c.close()`);
  await using shell = new Shell();
  const seen = events(shell);
  const port = await relay(shell, `relay r :0 127.0.0.1:${server.port}`);
  const conn = await connect(port);
  await writeAll(conn, enc("hello, then EOF"));
  await conn.closeWrite();
  const { data, reset } = await readToEnd(conn);
  conn.close();
  assertEquals(dec(data), "read 15 bytes to EOF\n");
  assert(!reset);
  const closed = await eventually(
    () => seen.find((e) => e.type === "closed" && e.name === "r#1"),
    "r#1 closed",
  );
  assertEquals(closed, { type: "closed", name: "r#1", reason: "up 15 bytes, down 21 bytes" });
});

Deno.test("half-close the other way: the server ends first, the client's later bytes still reach it", async () => {
  await using server = await python(`
c.sendall(b'greeting, then EOF\\n')
c.shutdown(socket.SHUT_WR)
n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
print('LATE', n, flush=True)
c.close()`);
  await using shell = new Shell();
  const port = await relay(shell, `relay r :0 127.0.0.1:${server.port}`);
  const conn = await connect(port);
  const { data } = await readToEnd(conn); // the server's end of stream reached us
  assertEquals(dec(data), "greeting, then EOF\n");
  await writeAll(conn, enc("late bytes after the server's EOF"));
  await conn.closeWrite();
  assertEquals((await server.peer.waitFor(/^LATE (\d+)$/m))[1], "33");
  conn.close();
});

Deno.test("a reset from the server (SO_LINGER 0) closes the client's side, and the event says so", async () => {
  await using server = await python(`
c.recv(100)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
c.close()`);
  await using shell = new Shell();
  const seen = events(shell);
  const port = await relay(shell, `relay r :0 127.0.0.1:${server.port}`);
  const conn = await connect(port);
  await writeAll(conn, enc("reset me"));
  const { data } = await readToEnd(conn); // ends: reset or end of stream, never hangs
  conn.close();
  assertEquals(data.length, 0);
  const closed = await eventually(
    () => seen.find((e) => e.type === "closed" && e.name === "r#1"),
    "r#1 closed",
  );
  assertEquals(closed, {
    type: "closed",
    name: "r#1",
    reason: "up 8 bytes, down 0 bytes; target: connection reset",
  });
});

Deno.test("a reset from the client (SO_LINGER 0, Python) closes the server's side", async () => {
  await using server = await python(`
n = len(c.recv(3))
c.sendall(b'ok')
try:
    while True:
        b = c.recv(65536)
        if not b: break
        n += len(b)
    print('END', n, flush=True)
except ConnectionResetError:
    print('RESET', n, flush=True)`);
  await using shell = new Shell();
  const port = await relay(shell, `relay r :0 127.0.0.1:${server.port}`);
  const client = spawnPeer("python3", [
    "-c",
    "import socket, struct\n" +
    `c = socket.create_connection(('127.0.0.1', ${port}))\n` +
    "c.sendall(b'bye')\n" +
    "assert c.recv(2) == b'ok'\n" +
    "c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n" +
    "c.close()",
  ]);
  assertEquals(await client.exited(), 0);
  assertMatch((await server.peer.waitFor(/^(END|RESET) \d+$/m))[0], /^(END|RESET) 3$/);
});

Deno.test("TLS termination: openssl s_client talks TLS to the relay, a plain TCP server behind it", async () => {
  await using certs = await makeTestCerts();
  await using server = await python(`
line = c.makefile('rb').readline()
c.sendall(b'plain server got: ' + line)
c.close()`);
  await using shell = new Shell();
  const port = await relay(
    shell,
    `relay t tls:127.0.0.1:0 tcp:127.0.0.1:${server.port} --cert ${certs.leaf} --key ${certs.leafKey}`,
  );
  await using client = spawnPeer("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-CAfile",
    certs.ca,
    "-verify_return_error",
    "-quiet",
    "-ign_eof",
  ]);
  await client.write("hello over tls\n");
  await client.waitFor(/plain server got: hello over tls/);
  assertEquals(await client.exited(), 0);
});

Deno.test("TLS origination: plain clients reach a TLS server (socat OPENSSL-LISTEN) through the relay", async () => {
  await using certs = await makeTestCerts();
  const { peer, port: tlsPort } = await socatListening([
    `OPENSSL-LISTEN:0,reuseaddr,fork,cert=${certs.leaf},key=${certs.leafKey},verify=0`,
    "PIPE",
  ]);
  await using _socat = peer;
  await using shell = new Shell();
  const port = await relay(shell, `relay o :0 tls:127.0.0.1:${tlsPort} --ca ${certs.ca}`);
  const conn = await connect(port);
  await writeAll(conn, enc("plain in, tls out\n"));
  const buf = new Uint8Array(64);
  const n = await conn.read(buf);
  assertEquals(dec(buf.subarray(0, n!)), "plain in, tls out\n");
  conn.close();
});

Deno.test("a unix socket in front of a TCP server (socat echo)", async () => {
  const { peer, port: echo } = await socatListening(["TCP-LISTEN:0,reuseaddr,fork", "PIPE"]);
  await using _socat = peer;
  const dir = await Deno.makeTempDir();
  await using shell = new Shell();
  await shell.execute(`relay x unix:${dir}/front.sock tcp:127.0.0.1:${echo}`);
  const conn = await Deno.connect({ transport: "unix", path: `${dir}/front.sock` });
  await conn.write(enc("via unix\n"));
  const buf = new Uint8Array(64);
  assertEquals(dec(buf.subarray(0, (await conn.read(buf))!)), "via unix\n");
  conn.close();
  await shell.execute("close x");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a UDP relay gives each client its own upstream (socat and Deno clients, Python echo), and idle ones expire", async () => {
  await using echo = spawnPeer("python3", [
    "-c",
    "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n" +
    "s.bind(('127.0.0.1', 0))\nprint('PORT', s.getsockname()[1], flush=True)\n" +
    "while True:\n    d, a = s.recvfrom(65536)\n    s.sendto(b'echo ' + d, a)",
  ]);
  const target = Number((await echo.waitFor(/^PORT (\d+)$/m))[1]);
  await using shell = new Shell();
  const seen = events(shell);
  const port = await relay(
    shell,
    `relay u udp:127.0.0.1:0 udp:127.0.0.1:${target} --udp-idle 300ms`,
  );
  await using socat = spawnPeer("socat", ["-", `UDP:127.0.0.1:${port}`]);
  await socat.write("from socat\n");
  await socat.waitFor(/^echo from socat$/m);
  const b = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  await b.send(enc("from b"), { transport: "udp", hostname: "127.0.0.1", port });
  assertEquals(dec((await b.receive())[0]), "echo from b");
  const row = as(await shell.execute("ls u"), "table").rows[0];
  assertEquals(row.slice(5, 7), ["17", "27"]);
  assertMatch(row.at(-1)!, /2 active, 2 total clients/);
  await eventually(
    () =>
      seen.filter((e) => e.type === "closed" && /idle for 300ms/.test(e.reason ?? "")).length === 2,
    "both upstreams to expire",
  );
  assertMatch(as(await shell.execute("ls u"), "table").rows[0].at(-1)!, /0 active, 2 total/);
  b.close();
});

Deno.test("ls shows a relay's connections and bytes; close stops it and its connections", async () => {
  const { peer, port: echo } = await socatListening(["TCP-LISTEN:0,reuseaddr,fork", "PIPE"]);
  await using _socat = peer;
  await using shell = new Shell();
  const port = await relay(shell, `relay r :0 127.0.0.1:${echo}`);
  const first = await connect(port);
  await first.write(enc("12345"));
  const buf = new Uint8Array(16);
  assertEquals(await first.read(buf), 5);
  first.close();
  const open = await connect(port);
  await open.write(enc("abc"));
  assertEquals(await open.read(buf), 3);
  const row = await eventually(async () => {
    const r = as(await shell.execute("ls r"), "table").rows[0];
    return /1 active, 2 total connections/.test(r.at(-1)!) && r;
  }, "one connection active, two in all");
  assertEquals(row.slice(0, 7), [
    "r",
    "tcp",
    "listening",
    `127.0.0.1:${port}`,
    `127.0.0.1:${echo}`,
    "8",
    "8",
  ]);
  await shell.execute("close r");
  assertEquals(await open.read(buf), null); // its connection was closed too
  open.close();
  await Deno.connect({ hostname: "127.0.0.1", port }).then(
    (c) => (c.close(), assert(false, "still listening")),
    (e) => assert(e instanceof Deno.errors.ConnectionRefused),
  );
  assertEquals(as(await shell.execute("ls r"), "table").rows[0][2], "closed");
});

Deno.test("relay errors are one line naming the relay and the value", async () => {
  await using shell = new Shell();
  assertEquals(
    await failure(shell, "relay r tpc:127.0.0.1:0 127.0.0.1:9"),
    'error: Cannot relay "r": unknown transport "tpc" in "tpc:127.0.0.1:0"; did you mean tcp:?',
  );
  assertMatch(
    await failure(shell, "relay r udp::0 tcp:127.0.0.1:9"),
    /^error: Cannot relay "r": cannot join udp to tcp \(udp relays only to udp\)/,
  );
  assertMatch(await failure(shell, "relay r :0 127.0.0.1:0"), /port 0 is not a peer address/);
  assertMatch(
    await failure(shell, "relay r :0 127.0.0.1:9 --cert x.pem --key y.pem"),
    /--cert and --key are for a tls: LISTEN side/,
  );
  assertMatch(
    await failure(shell, "relay r tls::0 127.0.0.1:9"),
    /^error: Cannot relay "r": a TLS server needs --cert FILE and --key FILE/,
  );
  assertEquals(shell.registry.has("r"), false);
});

Deno.test("a target that refuses: the client's connection is closed and an error event names it", async () => {
  const gone = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dead = (gone.addr as Deno.NetAddr).port;
  gone.close();
  await using shell = new Shell();
  const seen = events(shell);
  const port = await relay(shell, `relay r :0 127.0.0.1:${dead}`);
  const conn = await connect(port);
  assertEquals((await readToEnd(conn)).data.length, 0);
  conn.close();
  const error = await eventually(() => seen.find((e) => e.type === "error"), "an error event");
  assertEquals(error, {
    type: "error",
    name: "r#1",
    message: `Cannot open "r#1": connection refused by 127.0.0.1:${dead}`,
  });
});

Deno.test("sockit relay logs each connection to stderr and exits 143 on SIGTERM after closing", async () => {
  const { peer, port: echo } = await socatListening(["TCP-LISTEN:0,reuseaddr,fork", "PIPE"]);
  await using _socat = peer;
  const child = new Deno.Command(Deno.execPath(), {
    args: [...SOCKIT_RUN, "relay", "127.0.0.1:0", `tcp:127.0.0.1:${echo}`],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let err = "";
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) err += chunk;
  })();
  const port = Number(
    (await eventually(() => /listening on tcp 127\.0\.0\.1:(\d+)/.exec(err), "listening"))[1],
  );
  const conn = await connect(port);
  await conn.write(enc("ping"));
  const buf = new Uint8Array(8);
  assertEquals(await conn.read(buf), 4);
  conn.close();
  await eventually(() => /#1 closed \(up 4 bytes, down 4 bytes\)/.test(err), "the closed line");
  child.kill("SIGTERM");
  const status = await child.status;
  await reading;
  await child.stdout.cancel();
  assertEquals(status.code, 143);
  assertMatch(err, /#1 accepted from 127\.0\.0\.1:\d+\n#1 closed/);
  assertMatch(err, /stopping: closing 0 connections\nstopped\n$/);
});
