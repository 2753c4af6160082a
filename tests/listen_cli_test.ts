/**
 * `sockit listen`: netcat's listening side for pipes, tested against socat, ncat and Python
 * clients (nobody here wrote them), the CLI run as a subprocess.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { eventually, sockit } from "./_helpers.ts";
import { randomBytes, runPeer, sha256, spawnSockit } from "./_pipes.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("listen writes a binary payload socat sends to stdout byte for byte (same sha256), then exits 0", async () => {
  const dir = await Deno.makeTempDir();
  const payload = randomBytes(3 * 1024 * 1024 + 1);
  await Deno.writeFile(`${dir}/payload`, payload);
  await using server = spawnSockit(["listen", "--recv-only", "127.0.0.1:0"]);
  const port = await server.port();
  const client = await runPeer("socat", ["-u", `OPEN:${dir}/payload`, `TCP:127.0.0.1:${port}`]);
  assertEquals(client.code, 0);
  assertEquals(await server.exited(), 0);
  assertEquals(await sha256(server.stdout()), await sha256(payload));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("listen waits for both directions: after the client's close, the rest of stdin ends it", async () => {
  await using server = spawnSockit(["listen", "127.0.0.1:0"]);
  const port = await server.port();
  const client = await runPeer(
    "socat",
    ["-u", "-", `TCP:127.0.0.1:${port}`],
    new TextEncoder().encode("hi\n"),
  );
  assertEquals(client.code, 0);
  await eventually(() => text(server.stdout()) === "hi\n", "the client's line on stdout");
  await server.endInput();
  assertEquals(await server.exited(), 0);
});

Deno.test("listen sends its stdin to ncat byte for byte (same sha256)", async () => {
  const payload = randomBytes(2 * 1024 * 1024 + 3);
  await using server = spawnSockit(["listen", "127.0.0.1:0"]);
  const port = await server.port();
  const client = runPeer("ncat", ["--recv-only", "127.0.0.1", String(port)]);
  await server.write(payload);
  await server.endInput();
  const got = await client;
  assertEquals(await server.exited(), 0);
  assertEquals(await sha256(got.stdout), await sha256(payload));
});

Deno.test("listen passes the peer's half-close on: a Python client's EOF ends our output, and our answer after it arrives", async () => {
  await using server = spawnSockit(["listen", "127.0.0.1:0"]);
  const port = await server.port();
  // The client sends, half-closes, then reads our answer to the end.
  const client = runPeer("python3", [
    "-c",
    `
import socket, sys
c = socket.create_connection(("127.0.0.1", ${port}))
c.sendall(b"question\\n"); c.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = c.recv(65536)
    if not d: break
    got += d
sys.stdout.write(got.decode())
`,
  ]);
  await eventually(() => text(server.stdout()) === "question\n", "the question on stdout");
  await server.write("answer after your EOF\n");
  await server.endInput();
  const { stdout, code } = await client;
  assertEquals(code, 0);
  assertEquals(text(stdout), "answer after your EOF\n");
  assertEquals(await server.exited(), 0);
});

Deno.test("listen -k serves one connection after another, each to stdout", async () => {
  await using server = spawnSockit(["listen", "-k", "--recv-only", "127.0.0.1:0"]);
  const port = await server.port();
  for (const line of ["first\n", "second\n"]) {
    const client = await runPeer(
      "socat",
      ["-u", "-", `TCP:127.0.0.1:${port}`],
      new TextEncoder().encode(line),
    );
    assertEquals(client.code, 0);
  }
  await eventually(() => text(server.stdout()) === "first\nsecond\n", "both lines on stdout");
});

Deno.test("listen udp prints the first peer's datagrams and answers it with stdin", async () => {
  await using server = spawnSockit(["listen", "udp", "127.0.0.1:0", "--idle-timeout", "5s"]);
  const port = await server.port();
  const client = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  await client.send(new TextEncoder().encode("ping\n"), {
    transport: "udp",
    hostname: "127.0.0.1",
    port,
  });
  await eventually(() => text(server.stdout()) === "ping\n", "the datagram on stdout");
  await server.write("pong\n");
  const [answer] = await client.receive();
  assertEquals(text(answer), "pong\n");
  client.close();
});

Deno.test("listen exits 1 when the address is in use and 2 on a bad address", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  const busy = await sockit(["listen", `127.0.0.1:${port}`], "");
  assertEquals(busy.code, 1);
  assertEquals(
    busy.stderr,
    `error: Cannot listen on "127.0.0.1:${port}": address 127.0.0.1:${port} already in use\n`,
  );
  const bad = await sockit(["listen", "127.0.0.1:99999"], "");
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /bad port "99999"/);
});
