import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { renderEvent, renderResult } from "../shell/renderer.ts";
import type { SocketEvent } from "../sockets/named_socket.ts";
import { as, closedPort, echoPeer } from "./_helpers.ts";
import { failure, makeTestCerts, type Peer, spawnPeer, text } from "./_peers.ts";

/** openssl s_server on loopback answering with each line reversed (`-rev`). */
async function sServer(args: string[]): Promise<{ peer: Peer; port: number }> {
  const peer = spawnPeer("openssl", ["s_server", "-accept", "0", "-rev", ...args]);
  const m = await peer.waitFor(/ACCEPT .*:(\d+)/);
  return { peer, port: Number(m[1]) };
}

Deno.test("open tls verifies openssl s_server's certificate against --ca and talks", async () => {
  await using certs = await makeTestCerts();
  const { peer, port } = await sServer(["-cert", certs.leaf, "-key", certs.leafKey]);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  const a = as(await shell.execute(`open tls a localhost:${port} --ca ${certs.ca}`), "socket");
  assertEquals(a.info.kind, "tls");
  assertMatch(a.info.note ?? "", /^tls TLSv1\.[23]; peer CN=localhost$/);
  await shell.execute("sendline a hello");
  assertEquals(text(await shell.execute("recvline a")), "olleh\n");
  const row = as(await shell.execute("ls a"), "table").rows[0];
  assertEquals(row.slice(1, 3), ["tls", "open"]);
  assertMatch(row[8], /peer CN=localhost/);
});

Deno.test("open tls offers --alpn and ls shows the protocol the server chose", async () => {
  await using certs = await makeTestCerts();
  const { peer, port } = await sServer([
    "-cert",
    certs.leaf,
    "-key",
    certs.leafKey,
    "-alpn",
    "smtp,h2",
  ]);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  const a = as(
    await shell.execute(`open tls a 127.0.0.1:${port} --ca ${certs.ca} --alpn h2`),
    "socket",
  );
  assertMatch(a.info.note ?? "", /alpn h2/);
});

Deno.test("open tls over IPv6 verifies the ::1 address in the certificate", async () => {
  await using certs = await makeTestCerts();
  const { peer, port } = await sServer(["-cert", certs.leaf, "-key", certs.leafKey]);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  const a = as(await shell.execute(`open tls six [::1]:${port} --ca ${certs.ca}`), "socket");
  assertMatch(a.info.remote, /^\[::1\]:\d+$/);
  await shell.execute("sendline six abc");
  assertEquals(text(await shell.execute("recvline six")), "cba\n");
});

Deno.test("an untrusted CA, then a name mismatch, each fail in one line; --insecure warns", async () => {
  await using certs = await makeTestCerts();
  const { peer, port } = await sServer(["-cert", certs.leaf, "-key", certs.leafKey]);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  const at = `127.0.0.1:${port}`;
  assertEquals(
    await failure(shell, `open tls a ${at}`),
    `error: Cannot open "a": TLS handshake with ${at} failed: ` +
      "certificate not trusted: unknown issuer (try --ca FILE)",
  );
  assertEquals(
    await failure(shell, `open tls a ${at} --ca ${certs.otherCa}`),
    `error: Cannot open "a": TLS handshake with ${at} failed: ` +
      "certificate not trusted: unknown issuer (try --ca FILE)",
  );
  assertEquals(
    await failure(shell, `open tls a ${at} --ca ${certs.ca} --servername example.com`),
    `error: Cannot open "a": TLS handshake with ${at} failed: ` +
      "certificate name mismatch: not valid for example.com (try --servername)",
  );
  const r = await shell.execute(`open tls a ${at} --insecure`);
  assertMatch(renderResult(r, shell.settings), /WARNING --insecure: certificate NOT verified/);
  assertMatch(as(await shell.execute("ls a"), "table").rows[0][8], /WARNING --insecure/);
  await shell.execute("sendline a still works");
  assertEquals(text(await shell.execute("recvline a")), "skrow llits\n");
});

Deno.test("a server certificate for another name fails verification by name", async () => {
  await using certs = await makeTestCerts();
  const { peer, port } = await sServer(["-cert", certs.wrongName, "-key", certs.wrongNameKey]);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  assertMatch(
    await failure(shell, `open tls a localhost:${port} --ca ${certs.ca}`),
    /^error: Cannot open "a": TLS handshake with localhost:\d+ failed: certificate name mismatch: not valid for localhost/,
  );
  as(
    await shell.execute(`open tls a localhost:${port} --ca ${certs.ca} --servername wrong.example`),
    "socket",
  );
});

Deno.test("open tls to a plain-text server says the peer does not speak TLS", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 3000 });
  await shell.execute("listen tcp plain 127.0.0.1:0");
  const at = as(await shell.execute("ls plain"), "table").rows[0][3];
  const opening = failure(shell, `open tls a ${at} --ca ${certs.ca}`);
  await shell.execute("accept plain");
  await shell.execute("sendline plain.1 220 hello, this is not TLS at all");
  assertEquals(
    await opening,
    `error: Cannot open "a": TLS handshake with ${at} failed: ` +
      "the peer does not speak TLS (plain text on a TLS socket?)",
  );
});

Deno.test("open tls to a closed port is refused in one line", async () => {
  await using shell = new Shell();
  const port = closedPort();
  assertEquals(
    await failure(shell, `open tls a 127.0.0.1:${port}`),
    `error: Cannot open "a": connection refused by 127.0.0.1:${port}`,
  );
});

Deno.test("listen tls serves openssl s_client, verified against the test CA", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  const srv = as(
    await shell.execute(`listen tls srv 127.0.0.1:0 --cert ${certs.leaf} --key ${certs.leafKey}`),
    "socket",
  );
  assertEquals(srv.info.kind, "tls");
  await using client = spawnPeer("openssl", [
    "s_client",
    "-connect",
    srv.info.local,
    "-CAfile",
    certs.ca,
    "-servername",
    "localhost",
    "-verify_return_error",
    "-quiet",
  ]);
  await client.write("hello from s_client\n");
  const child = as(await shell.execute("accept srv"), "socket");
  assertEquals(child.info.name, "srv.1");
  assertEquals(text(await shell.execute("recvline srv.1")), "hello from s_client\n");
  await shell.execute("sendline srv.1 hello from sockit");
  await client.waitFor(/hello from sockit\n/);
  assertMatch(as(await shell.execute("ls srv.1"), "table").rows[0][8], /^tls TLSv1\.[23]/);
});

Deno.test("a plain-text peer on a TLS listener is an error event; the listener goes on", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  const events: SocketEvent[] = [];
  shell.registry.subscribe((e) => events.push(e));
  const srv = as(
    await shell.execute(`listen tls srv [::1]:0 --cert ${certs.leaf} --key ${certs.leafKey}`),
    "socket",
  );
  assertMatch(srv.info.local, /^\[::1\]:\d+$/);
  await using plain = spawnPeer("ncat", ["::1", srv.info.local.replace(/.*:/, "")]);
  await plain.write("GET / HTTP/1.0\r\n\r\n");
  await shell.execute("accept srv");
  assertMatch(
    await failure(shell, "recv srv.1"),
    /^error: Cannot recv from "srv\.1": TLS handshake failed: the peer does not speak TLS/,
  );
  const shown = events.filter((e) => e.type === "error").map((e) => renderEvent(e));
  assertMatch(shown[0], /^\[srv\.1\] error: TLS handshake failed: the peer does not speak TLS/);
  assertMatch(as(await shell.execute("ls srv.1"), "table").rows[0][8], /tls handshake failed/);
  // The listener still serves a real TLS client afterwards.
  await shell.execute(`open tls ok ${srv.info.local} --ca ${certs.ca}`);
  assertEquals(as(await shell.execute("accept srv"), "socket").info.name, "srv.2");
});

Deno.test("listen tls checks its flags and its port in one line", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell();
  assertEquals(
    await failure(shell, "listen tls srv 127.0.0.1:0"),
    'error: Cannot listen "srv": a TLS server needs --cert FILE and --key FILE',
  );
  assertEquals(
    await failure(
      shell,
      `listen tls srv 127.0.0.1:0 --cert ${certs.dir}/nope.pem --key ${certs.leafKey}`,
    ),
    `error: Cannot listen "srv": cannot read --cert file "${certs.dir}/nope.pem": not found`,
  );
  await using peer = echoPeer();
  assertEquals(
    await failure(
      shell,
      `listen tls srv 127.0.0.1:${peer.addr.port} --cert ${certs.leaf} --key ${certs.leafKey}`,
    ),
    `error: Cannot listen "srv": address 127.0.0.1:${peer.addr.port} already in use`,
  );
  assert(as(await shell.execute("ls"), "table"));
});
