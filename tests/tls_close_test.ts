/**
 * Closing TLS the way strict peers expect (close_notify before the connection goes, for every
 * way a socket is closed), and TLS children that fail or stall in their handshake.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import type { SocketEvent } from "../sockets/named_socket.ts";
import { as, PERMISSIONS } from "./_helpers.ts";
import { failure, makeTestCerts, spawnPeer, type TestCerts, text } from "./_peers.ts";

/**
 * A strict Python TLS client (`suppress_ragged_eofs=False`): sends a line, reads to the end and
 * prints `clean end after "…"`; an end without close_notify raises SSLEOFError (exit 1).
 */
const STRICT_CLIENT = `
import socket, ssl, sys
host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
raw = socket.create_connection((host, port), timeout=10)
s = ctx.wrap_socket(raw, server_hostname="localhost", suppress_ragged_eofs=False)
s.sendall(b"hello\\n")
data = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except ssl.SSLEOFError as e:
    print("SSLEOFError", e, flush=True)
    sys.exit(1)
print("clean end after", repr(data.decode()), flush=True)
`;

/**
 * A strict Python TLS server on a free port: prints `port N`, reads one connection to its end
 * and prints `clean end after "…"`, or `SSLEOFError` when the client left without close_notify.
 */
const STRICT_SERVER = `
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print("port", srv.getsockname()[1], flush=True)
raw, _ = srv.accept()
raw.settimeout(10)
s = ctx.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False)
data = b""
try:
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except ssl.SSLEOFError as e:
    print("SSLEOFError", e, flush=True)
    sys.exit(1)
print("clean end after", repr(data.decode()), flush=True)
`;

function strictClient(certs: TestCerts, address: string) {
  const port = address.replace(/.*:/, "");
  return spawnPeer("python3", ["-c", STRICT_CLIENT, "127.0.0.1", port, certs.ca]);
}

async function listenTls(shell: Shell, certs: TestCerts, extra = ""): Promise<string> {
  const line = `listen tls s 127.0.0.1:0 --cert ${certs.leaf} --key ${certs.leafKey} ${extra}`;
  return as(await shell.execute(line), "socket").info.local;
}

Deno.test("close of an accepted TLS child sends close_notify: openssl s_client sees a clean end", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  const at = await listenTls(shell, certs);
  await using client = spawnPeer("openssl", [
    "s_client",
    "-connect",
    at,
    "-CAfile",
    certs.ca,
    "-servername",
    "localhost",
    "-quiet",
  ]);
  await client.write("hi\n");
  await shell.execute("accept s");
  assertEquals(text(await shell.execute("recvline s.1")), "hi\n");
  await shell.execute("sendline s.1 bye");
  await shell.execute("close s.1");
  assertEquals(await client.exited(), 0, client.stderr());
  assertEquals(client.stdout(), "bye\n");
  assert(!/unexpected eof/i.test(client.stderr()), client.stderr());
});

Deno.test("close of an accepted TLS child satisfies a strict Python client (no SSLEOFError)", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  const at = await listenTls(shell, certs);
  await using client = strictClient(certs, at);
  await shell.execute("accept s");
  assertEquals(text(await shell.execute("recvline s.1")), "hello\n");
  await shell.execute("sendline s.1 bye");
  await shell.execute("close s.1");
  assertEquals(await client.exited(), 0, client.stdout() + client.stderr());
  assertEquals(client.stdout(), "clean end after 'bye\\n'\n");
});

Deno.test("closing the shell (as quit does) sends close_notify on every TLS child", async () => {
  await using certs = await makeTestCerts();
  const shell = new Shell({ timeout: 5000 });
  const at = await listenTls(shell, certs);
  await using client = strictClient(certs, at);
  await shell.execute("accept s");
  await shell.execute("recvline s.1");
  await shell.close();
  assertEquals(await client.exited(), 0, client.stdout() + client.stderr());
  assertEquals(client.stdout(), "clean end after ''\n");
});

Deno.test("close of a TLS client sends close_notify to a strict Python server", async () => {
  await using certs = await makeTestCerts();
  await using server = spawnPeer("python3", ["-c", STRICT_SERVER, certs.leaf, certs.leafKey]);
  const port = (await server.waitFor(/port (\d+)/))[1];
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute(`open tls a localhost:${port} --ca ${certs.ca}`);
  await shell.execute("sendline a from the client");
  await shell.execute("close a");
  assertEquals(await server.exited(), 0, server.stdout() + server.stderr());
  assertMatch(server.stdout(), /clean end after 'from the client\\n'\n$/);
});

/**
 * Runs `sockit -c LINE` that listens on TLS, lets a strict client talk to it, and returns what
 * the client printed and sockit's exit code.
 */
async function batchWithStrictClient(certs: TestCerts, tail: string) {
  const line = `listen tls s 127.0.0.1:0 --cert ${certs.leaf} --key ${certs.leafKey}; ` +
    `accept s; recvline s.1; sendline s.1 bye${tail}`;
  await using cli = spawnPeer(Deno.execPath(), [
    "run",
    "--config",
    new URL("../deno.json", import.meta.url).pathname,
    ...PERMISSIONS,
    new URL("../main.ts", import.meta.url).pathname,
    "-c",
    line,
  ]);
  const at = (await cli.waitFor(/listening +tls +(\S+)/, 20_000))[1];
  await using client = strictClient(certs, at);
  const clientCode = await client.exited();
  return { clientCode, said: client.stdout() + client.stderr(), code: await cli.exited() };
}

Deno.test("batch mode ending with quit sends close_notify before it exits", async () => {
  await using certs = await makeTestCerts();
  const run = await batchWithStrictClient(certs, "; quit");
  assertEquals([run.clientCode, run.said], [0, "clean end after 'bye\\n'\n"]);
  assertEquals(run.code, 0);
});

Deno.test("batch mode running out of commands sends close_notify before it exits", async () => {
  await using certs = await makeTestCerts();
  const run = await batchWithStrictClient(certs, "");
  assertEquals([run.clientCode, run.said], [0, "clean end after 'bye\\n'\n"]);
  assertEquals(run.code, 0);
});

Deno.test("listen tls refuses a certificate and key that do not match, naming both files", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell();
  assertEquals(
    await failure(shell, `listen tls s :0 --cert ${certs.leaf} --key ${certs.wrongNameKey}`),
    `error: Cannot listen "s": the certificate in ${certs.leaf} and the key in ` +
      `${certs.wrongNameKey} do not match`,
  );
  assertEquals(
    await failure(shell, `listen tls s :0 --cert ${certs.leafKey} --key ${certs.leaf}`),
    `error: Cannot listen "s": --cert ${certs.leafKey} holds no certificate and --key ` +
      `${certs.leaf} holds no private key (the two files are swapped)`,
  );
  assertEquals(
    await failure(shell, `serve echo tls e :0 --cert ${certs.leaf} --key ${certs.wrongNameKey}`),
    `error: Cannot serve "e": the certificate in ${certs.leaf} and the key in ` +
      `${certs.wrongNameKey} do not match`,
  );
  assertEquals(as(await shell.execute("ls"), "table").rows, []);
});

Deno.test("a child whose handshake failed is closed, so a plain-text peer sees the end", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  const at = await listenTls(shell, certs);
  // A plain-text client that reads until the server ends the connection (or gives up after 5 s).
  const script = "import socket,sys\n" +
    "c = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)\n" +
    "c.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n" +
    "try:\n  while c.recv(4096): pass\n  print('ended')\n" +
    "except socket.timeout:\n  print('still open')\n";
  await using plain = spawnPeer("python3", ["-c", script, at.replace(/.*:/, "")]);
  await shell.execute("accept s");
  assertMatch(
    await failure(shell, "recv s.1"),
    /TLS handshake failed: the peer does not speak TLS/,
  );
  assertEquals(await plain.exited(), 0, plain.stderr());
  assertEquals(plain.stdout(), "ended\n");
});

Deno.test("a TLS peer that stalls mid-handshake is closed after --handshake-timeout; send fails, never hangs", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  const events: SocketEvent[] = [];
  shell.registry.subscribe((e) => events.push(e));
  const at = await listenTls(shell, certs, "--handshake-timeout 300ms");
  const [hostname, port] = [at.replace(/:\d+$/, ""), Number(at.replace(/.*:/, ""))];
  using stalled = await Deno.connect({ hostname, port });
  // A TLS record header that promises a ClientHello, then nothing more.
  await stalled.write(new Uint8Array([0x16, 0x03, 0x01, 0x01, 0x00, 0x01]));
  await shell.execute("accept s");
  assertEquals(
    await failure(shell, "recv s.1"),
    'error: Cannot recv from "s.1": TLS handshake failed: timed out after 300ms (nothing buffered)',
  );
  assertMatch(
    await failure(shell, "send s.1 hello"),
    /^error: Cannot send to "s\.1": TLS handshake failed: timed out after 300ms/,
  );
  // The stalled peer sees its connection end.
  const buf = new Uint8Array(64);
  let n: number | null = 0;
  while (n !== null) n = await stalled.read(buf);
  assertMatch(
    as(await shell.execute("ls s.1"), "table").rows[0][8],
    /tls handshake failed: timed out/,
  );
  // The listener goes on serving.
  await shell.execute(`open tls ok ${at} --ca ${certs.ca} --servername localhost`);
  assertEquals(as(await shell.execute("accept s"), "socket").info.name, "s.2");
});
