/**
 * `sockit connect`: netcat for pipes, tested against socat and Python peers (nobody here wrote
 * them), the CLI run as a subprocess.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { closedPort, echoPeer, eventually, sockit } from "./_helpers.ts";
import { randomBytes, sha256, socatListening, spawnSockit } from "./_pipes.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("connect sends a binary payload from stdin byte for byte: socat saves the same sha256", async () => {
  const dir = await Deno.makeTempDir();
  const payload = randomBytes(3 * 1024 * 1024 + 17);
  const peer = await socatListening("TCP-LISTEN:0,bind=127.0.0.1", `CREATE:${dir}/got`);
  await using client = spawnSockit(["connect", `127.0.0.1:${peer.port}`]);
  await client.write(payload);
  await client.endInput();
  assertEquals(await client.exited(), 0);
  assertEquals((await peer.done).code, 0);
  assertEquals(await sha256(await Deno.readFile(`${dir}/got`)), await sha256(payload));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("connect prints a binary payload socat sends byte for byte (same sha256)", async () => {
  const dir = await Deno.makeTempDir();
  const payload = randomBytes(2 * 1024 * 1024 + 5);
  await Deno.writeFile(`${dir}/payload`, payload);
  const peer = await socatListening(`OPEN:${dir}/payload`, "TCP-LISTEN:0,bind=127.0.0.1");
  // socat -u reads from its first address: swap by listening with the second.
  await using client = spawnSockit(["connect", "--recv-only", `127.0.0.1:${peer.port}`]);
  assertEquals(await client.exited(), 0);
  assertEquals(await sha256(client.stdout()), await sha256(payload));
  await peer.done;
  await Deno.remove(dir, { recursive: true });
});

Deno.test("at end of input connect half-closes and still prints the answer the peer sends after our EOF", async () => {
  // A Python peer that reads to end of stream, and only then answers and closes.
  const server = new Deno.Command("python3", {
    args: [
      "-c",
      `
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); n = 0
while True:
    d = c.recv(65536)
    if not d: break
    n += len(d)
c.sendall(b"got %d bytes after your EOF\\n" % n); c.close()
`,
    ],
    stdout: "piped",
  }).spawn();
  const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const port = Number((await reader.read()).value!.trim());
  const run = await sockit(["connect", `127.0.0.1:${port}`], "question\n");
  assertEquals(run.stdout, "got 9 bytes after your EOF\n");
  assertEquals(run.code, 0);
  await reader.cancel();
  await server.status;
});

Deno.test("connect --crlf sends \\r\\n line endings and never doubles a \\r\\n split across two reads", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/got`;
  const peer = await socatListening("TCP-LISTEN:0,bind=127.0.0.1", `CREATE:${file}`);
  await using client = spawnSockit(["connect", "--crlf", `127.0.0.1:${peer.port}`]);
  await client.write("one\r");
  // The \r has reached the peer before the \n is written: the \r\n spans two reads.
  await eventually(
    async () => (await Deno.stat(file).catch(() => ({ size: 0 }))).size === 4,
    "the peer to get one\\r",
  );
  await client.write("\ntwo\nthree\r\n");
  await client.endInput();
  assertEquals(await client.exited(), 0);
  await peer.done;
  assertEquals(await Deno.readTextFile(file), "one\r\ntwo\r\nthree\r\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("connect --idle-timeout exits 1 with a one-line error when nothing moves", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  await using client = spawnSockit([
    "connect",
    "--idle-timeout",
    "200ms",
    `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
  ]);
  using _conn = await accepted; // connected, silent; our stdin stays open
  assertEquals(await client.exited(), 1);
  assertMatch(client.stderr(), /^error: connect: idle for 200ms with 127\.0\.0\.1:\d+\n$/);
});

Deno.test("connect exits 1 when the connection is refused, naming the address", async () => {
  const port = closedPort();
  const run = await sockit(["connect", `127.0.0.1:${port}`], "");
  assertEquals(run.code, 1);
  assertEquals(
    run.stderr,
    `error: Cannot connect to "127.0.0.1:${port}": connection refused by 127.0.0.1:${port}\n`,
  );
});

Deno.test("connect exits 2 on bad usage: an unknown option, transport or address", async () => {
  const option = await sockit(["connect", "--bogus", "127.0.0.1:1"], "");
  assertEquals(option.code, 2);
  assertMatch(option.stderr, /unknown option '--bogus'/);
  const kind = await sockit(["connect", "tpc", "127.0.0.1:1"], "");
  assertEquals(kind.code, 2);
  assertMatch(kind.stderr, /unknown transport "tpc"; did you mean tcp\?/);
  const address = await sockit(["connect", "127.0.0.1"], "");
  assertEquals(address.code, 2);
  assertMatch(address.stderr, /bad address "127\.0\.0\.1": expected HOST:PORT/);
  const both = await sockit(["connect", "--send-only", "--recv-only", "127.0.0.1:1"], "");
  assertEquals(both.code, 2);
});

Deno.test("connect -o logs both directions as quoted text, -x as hexdumps", async () => {
  await using peer = echoPeer();
  const port = (peer.addr as Deno.NetAddr).port;
  const dir = await Deno.makeTempDir();
  const text1 = await sockit(["connect", "-o", `${dir}/log`, `127.0.0.1:${port}`], "hi\n");
  assertEquals(text1.stdout, "hi\n");
  assertEquals(await Deno.readTextFile(`${dir}/log`), '> "hi\\n"\n< "hi\\n"\n');
  const hex = await sockit(["connect", "-x", `${dir}/hex`, `127.0.0.1:${port}`], "\x00\x01");
  assertEquals(hex.code, 0);
  const dump = `00000000  00 01${" ".repeat(45)}|..|`; // grammar/render.ts's hexdump
  assertEquals(await Deno.readTextFile(`${dir}/hex`), `> 2 bytes\n${dump}\n< 2 bytes\n${dump}\n`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("connect udp sends each input chunk as a datagram and prints the answers until idle", async () => {
  const udp = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const answered = (async () => {
    const [data, from] = await udp.receive();
    await udp.send(new TextEncoder().encode(text(data).toUpperCase()), from);
  })();
  const port = (udp.addr as Deno.NetAddr).port;
  const run = await sockit(["connect", "udp", `127.0.0.1:${port}`, "-i", "300ms"], "ping\n");
  await answered;
  assertEquals(run.stdout, "PING\n");
  assert(run.code === 1 && /idle for 300ms/.test(run.stderr), run.stderr);
  udp.close();
});

Deno.test("connect takes the shell's dial options: through a SOCKS5 proxy, and waiting for a port", async () => {
  const { microsocks } = await import("./_peers.ts");
  const proxy = await microsocks();
  await using _proxy = proxy.peer;
  // A server that answers one line and hangs up (microsocks ends a tunnel on either side's
  // end of stream, so the client keeps its side open with --no-shutdown).
  const server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await server.accept();
    const buf = new Uint8Array(64);
    let got = "";
    while (!got.endsWith("\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      got += new TextDecoder().decode(buf.subarray(0, n));
    }
    await conn.write(new TextEncoder().encode(got));
    conn.close();
  })();
  const via = await sockit(
    [
      "connect",
      `127.0.0.1:${server.addr.port}`,
      "--proxy",
      `socks5://127.0.0.1:${proxy.port}`,
      "--no-shutdown",
    ],
    "through the proxy\n",
  );
  await serving;
  server.close();
  assertEquals([via.code, via.stdout, via.stderr], [0, "through the proxy\n", ""]);
  // Nothing listens: --wait keeps trying up to its limit, then names the address and the tries.
  const port = closedPort();
  const waited = await sockit(["connect", `127.0.0.1:${port}`, "--wait", "300ms"], "");
  assertEquals(waited.code, 1);
  assertMatch(waited.stderr, new RegExp(`Cannot connect to "127\\.0\\.0\\.1:${port}": .*refused`));
  const bad = await sockit(["connect", `127.0.0.1:${port}`, "--retry", "many"], "");
  assertEquals(bad.code, 2, bad.stderr);
});
