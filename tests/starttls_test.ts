import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { as, eventually } from "./_helpers.ts";
import { failure, makeTestCerts, spawnPeer, type TestCerts, text } from "./_peers.ts";

/** Plays the server side of SMTP up to STARTTLS for `openssl s_client -starttls smtp`. */
async function smtpUntilStarttls(shell: Shell): Promise<void> {
  await shell.execute("accept srv");
  await shell.execute('send srv.1 "220 sockit ESMTP ready\\r\\n"');
  assertMatch(text(await shell.execute("recvline srv.1")), /^EHLO \S+\r\n$/);
  await shell.execute('send srv.1 "250-sockit\\r\\n250 STARTTLS\\r\\n"');
  assertEquals(text(await shell.execute("recvline srv.1")), "STARTTLS\r\n");
}

function sClient(certs: TestCerts, address: string) {
  return spawnPeer("openssl", [
    "s_client",
    "-starttls",
    "smtp",
    "-connect",
    address,
    "-CAfile",
    certs.ca,
    "-servername",
    "localhost",
    "-verify_return_error",
    "-quiet",
  ]);
}

Deno.test("starttls upgrades an accepted socket for openssl s_client -starttls smtp", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  const srv = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket");
  await using client = sClient(certs, srv.info.local);
  await smtpUntilStarttls(shell);
  // The 220 goes out after the switch is armed, so the ClientHello cannot be read as text.
  const up = as(
    await shell.execute(
      `starttls srv.1 --cert ${certs.leaf} --key ${certs.leafKey} "220 go ahead\\r\\n"`,
    ),
    "socket",
  );
  assertEquals([up.info.name, up.info.kind, up.info.state], ["srv.1", "tcp", "open"]);
  assertMatch(up.info.note ?? "", /^starttls → tls TLSv1\.[23]/);
  await client.write("EHLO again\r\n");
  assertEquals(text(await shell.execute("recvline srv.1")), "EHLO again\r\n");
  await shell.execute('send srv.1 "250 secure now\\r\\n"');
  await client.waitFor(/250 secure now/);
});

Deno.test("starttls after a separate 220 line still hands an early ClientHello to TLS", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  const srv = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket");
  await using client = sClient(certs, srv.info.local);
  await smtpUntilStarttls(shell);
  await shell.execute('send srv.1 "220 go ahead\\r\\n"');
  // The client answers the 220 with its ClientHello, which waits unread in the buffer.
  await eventually(
    () => shell.registry.get("srv.1", "test").info().buffered > 0,
    "the ClientHello",
  );
  await shell.execute(`starttls srv.1 --cert ${certs.leaf} --key ${certs.leafKey}`);
  await client.write("QUIT\r\n");
  assertEquals(text(await shell.execute("recvline srv.1")), "QUIT\r\n");
});

Deno.test("starttls on both ends keeps the name and bytes buffered before the upgrade", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  const srv = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket");
  await shell.execute(`open tcp a ${srv.info.local}`);
  await shell.execute("accept srv");
  await shell.execute('send a "plain before\\n"');
  await shell.execute('send srv.1 "ready\\n"');
  assertEquals(text(await shell.execute("recvline a")), "ready\n");
  await eventually(
    () => shell.registry.get("srv.1", "test").info().buffered === 13,
    "the plain line at srv.1",
  );
  const [server, client] = await Promise.all([
    shell.execute(`starttls srv.1 --cert ${certs.leaf} --key ${certs.leafKey}`),
    shell.execute(`starttls a --ca ${certs.ca}`),
  ]);
  assertMatch(
    as(client, "socket").info.note ?? "",
    /^starttls → tls TLSv1\.[23]; peer CN=localhost$/,
  );
  as(server, "socket");
  await shell.execute('send a "secret\\n"');
  assertEquals(text(await shell.execute("recvline srv.1")), "plain before\n");
  assertEquals(text(await shell.execute("recvline srv.1")), "secret\n");
  await shell.execute('send srv.1 "back\\n"');
  assertEquals(text(await shell.execute("recvline a")), "back\n");
  const rows = as(await shell.execute("ls a srv.1"), "table").rows;
  assertEquals(rows.map((r) => [r[0], r[1], r[2]]), [["a", "tcp", "open"], [
    "srv.1",
    "tcp",
    "open",
  ]]);
});

Deno.test("a failed starttls handshake is one line, closes that socket, and the shell goes on", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  const srv = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket");
  await shell.execute(`open tcp a ${srv.info.local}`);
  await shell.execute("accept srv");
  const [server, client] = await Promise.all([
    failure(shell, `starttls srv.1 --cert ${certs.leaf} --key ${certs.leafKey}`),
    failure(shell, `starttls a --ca ${certs.otherCa}`),
  ]);
  assertMatch(
    server,
    /^error: Cannot starttls "srv\.1": TLS handshake with .* failed: .*; socket closed$/,
  );
  assertEquals(
    client,
    `error: Cannot starttls "a": TLS handshake with ${srv.info.local} failed: ` +
      "certificate not trusted: unknown issuer (try --ca FILE); socket closed",
  );
  assertEquals(as(await shell.execute("ls a"), "table").rows[0][2], "closed");
  as(await shell.execute("ls"), "table");
});

Deno.test("starttls refuses what it cannot upgrade, in one line", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 2000 });
  const srv = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket");
  await shell.execute(`open tcp a ${srv.info.local}`);
  await shell.execute("accept srv");
  assertEquals(
    await failure(shell, "starttls srv.1"),
    'error: Cannot starttls "srv.1": a TLS server needs --cert FILE and --key FILE',
  );
  assertMatch(
    await failure(shell, "starttls srv"),
    /^error: Cannot starttls "srv": it is a listener/,
  );
  await shell.execute("listen udp u 127.0.0.1:0");
  assertEquals(
    await failure(shell, "starttls u"),
    'error: Cannot starttls "u": it is a bound udp socket with no peer; udp has no stream: datagrams stay whole',
  );
  // Nothing was consumed: the plain sockets still talk.
  await shell.execute("sendline a still plain");
  assertEquals(text(await shell.execute("recvline srv.1")), "still plain\n");
  void certs;
});
