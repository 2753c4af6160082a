/** Mutual TLS: open tls --cert/--key against openssl s_server -Verify; listen tls --require-cert. */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  strictEqual as equal,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { attachRecorder, formatFailure, replayFile } from "../mod.ts";
import { as, eventually } from "./_helpers.ts";
import { failure, makeTestCerts, type Peer, spawnPeer, text } from "./_peers.ts";

/** openssl s_server demanding a client certificate signed by `ca` (`-Verify 1`). */
async function verifyingServer(
  certs: { leaf: string; leafKey: string; ca: string },
): Promise<{ peer: Peer; port: number }> {
  const peer = spawnPeer("openssl", [
    "s_server",
    "-accept",
    "0",
    "-rev",
    "-cert",
    certs.leaf,
    "-key",
    certs.leafKey,
    "-CAfile",
    certs.ca,
    "-Verify",
    "1",
    "-verify_return_error",
  ]);
  const m = await peer.waitFor(/ACCEPT .*:(\d+)/);
  return { peer, port: Number(m[1]) };
}

const listenPort = (shell: Shell, name: string) =>
  shell.registry.get(name, "read").info().local.split(":").at(-1)!;

Deno.test("open tls --cert --key passes openssl s_server -Verify 1, which sees the client's subject", async () => {
  await using certs = await makeTestCerts();
  const { peer, port } = await verifyingServer(certs);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  const a = as(
    await shell.execute(
      `open tls a localhost:${port} --ca ${certs.ca} --cert ${certs.client} --key ${certs.clientKey}`,
    ),
    "socket",
  );
  assertMatch(a.info.note ?? "", /peer CN=localhost/);
  await shell.execute("sendline a mutual");
  assertEquals(text(await shell.execute("recvline a")), "lautum\n");
  await peer.waitFor(/Peer certificate: CN = sockit test client/, 5000, "stderr");
});

Deno.test("without a client certificate, openssl s_server -Verify 1 refuses the handshake", async () => {
  await using certs = await makeTestCerts();
  const { peer, port } = await verifyingServer(certs);
  await using _peer = peer;
  await using shell = new Shell({ timeout: 5000 });
  // TLS 1.3 ends the handshake before the server checks: the refusal shows on the first read.
  let refused: string;
  try {
    await shell.execute(`open tls a localhost:${port} --ca ${certs.ca}`);
    await shell.execute("sendline a x");
    refused = await failure(shell, "recvline a");
  } catch (error) {
    refused = String(error);
  }
  assertMatch(refused, /certificate|alert|handshake|closed|reset/i);
});

Deno.test("a certificate without its key, and a key that is not the certificate's, are one-line errors", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  assertEquals(
    await failure(shell, `open tls a localhost:1 --cert ${certs.client}`),
    `error: Cannot open "a": --cert ${certs.client} needs --key FILE too ` +
      "(a client certificate is sent with its private key)",
  );
  assertEquals(
    await failure(shell, `open tls a localhost:1 --cert ${certs.client} --key ${certs.leafKey}`),
    `error: Cannot open "a": the certificate in ${certs.client} and the key in ${certs.leafKey} ` +
      "do not match",
  );
  assertEquals(
    await failure(shell, `open tcp a localhost:1 --cert ${certs.client} --key ${certs.clientKey}`),
    'error: Cannot open "a": --cert is for tls and wss sockets, not tcp',
  );
  assertEquals(
    await failure(
      shell,
      `listen tls s :0 --cert ${certs.leaf} --key ${certs.leafKey} --require-cert`,
    ),
    'error: Cannot listen "s": --require-cert needs --ca FILE, the CA that signs client certificates',
  );
  assertEquals(
    await failure(shell, `listen tcp s :0 --require-cert`),
    'error: Cannot listen "s": --require-cert is for tls, not tcp',
  );
});

Deno.test("listen tls --require-cert: openssl s_client -cert gets in, ls shows the subject on both sides", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute(
    `listen tls s :0 --cert ${certs.leaf} --key ${certs.leafKey} --ca ${certs.ca} --require-cert`,
  );
  const port = listenPort(shell, "s");
  const client = spawnPeer("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-CAfile",
    certs.ca,
    "-cert",
    certs.client,
    "-key",
    certs.clientKey,
    "-quiet",
  ]);
  await using _client = client;
  await shell.execute("accept s");
  await client.write("from s_client\n");
  assertEquals(text(await shell.execute("recvline s.1")), "from s_client\n");
  const note = as(await shell.execute("ls s.1"), "table").rows[0][8];
  assertMatch(note, /peer CN=sockit test client; client certificate verified$/);
  // And the shell as the client: its ls shows the server's subject.
  await shell.execute(
    `open tls a localhost:${port} --ca ${certs.ca} --cert ${certs.client} --key ${certs.clientKey}`,
  );
  assertMatch(as(await shell.execute("ls a"), "table").rows[0][8], /peer CN=localhost/);
  await shell.execute("accept s");
  await eventually(
    () => /client certificate verified/.test(shell.registry.get("s.2", "read").info().note ?? ""),
    "s.2's handshake to settle",
  );
});

Deno.test("listen tls --require-cert refuses a client certificate another CA signed, and one without", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute(
    `listen tls s :0 --cert ${certs.leaf} --key ${certs.leafKey} --ca ${certs.ca} --require-cert`,
  );
  const port = listenPort(shell, "s");
  await shell.execute(
    `open tls rogue localhost:${port} --ca ${certs.ca} --cert ${certs.rogue} --key ${certs.rogueKey}`,
  ).catch(() => {});
  await shell.execute("accept s");
  const note = await eventually(() => {
    const n = shell.registry.get("s.1", "read").info().note ?? "";
    return n.includes("failed") && n;
  }, "s.1's handshake to fail");
  assertMatch(
    note,
    /^tls handshake failed: client certificate CN=sockit rogue client refused: not signed by a CA in --ca$/,
  );
  assertMatch(await failure(shell, "recv s.1"), /client certificate .* refused/);
  await shell.execute(`open tls none localhost:${port} --ca ${certs.ca}`).catch(() => {});
  await shell.execute("accept s");
  const second = await eventually(() => {
    const n = shell.registry.get("s.2", "read").info().note ?? "";
    return n.includes("failed") && n;
  }, "s.2's handshake to fail");
  assertMatch(second, /^tls handshake failed: /);
});

Deno.test("listen tls --request-cert accepts any client and says whether --ca signed its certificate", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute(
    `listen tls s :0 --cert ${certs.leaf} --key ${certs.leafKey} --ca ${certs.ca} --request-cert`,
  );
  const port = listenPort(shell, "s");
  await shell.execute(
    `open tls r localhost:${port} --ca ${certs.ca} --cert ${certs.rogue} --key ${certs.rogueKey}`,
  );
  await shell.execute("accept s");
  await shell.execute("sendline r hi");
  assertEquals(text(await shell.execute("recvline s.1")), "hi\n");
  assertMatch(
    shell.registry.get("s.1", "read").info().note ?? "",
    /peer CN=sockit rogue client; client certificate NOT verified: not signed by a CA in --ca$/,
  );
});

Deno.test("a recorded mutual-TLS session names its --cert, --key and --ca files relative to the script", async () => {
  await using certs = await makeTestCerts();
  const file = `${certs.dir}/mtls.sockit`;
  {
    await using shell = new Shell({ timeout: 5000 });
    attachRecorder(shell);
    await shell.execute(`record start ${file}`);
    await shell.execute(
      `listen tls s :0 --cert ${certs.leaf} --key ${certs.leafKey} --ca ${certs.ca} --require-cert`,
    );
    await shell.execute(
      `open tls a localhost:${
        listenPort(shell, "s")
      } --ca ${certs.ca} --cert ${certs.client} --key ${certs.clientKey}`,
    );
    await shell.execute("accept s");
    await shell.execute("sendline a hello");
    await shell.execute("recvline s.1");
    await shell.execute("record stop");
  }
  const lines = (await Deno.readTextFile(file)).split("\n");
  equal(
    lines.find((l) => l.startsWith("open tls a")),
    "open tls a localhost:${s.port} --ca ${dir}/ca.pem --cert ${dir}/client.pem " +
      "--key ${dir}/client.key",
  );
  const result = await replayFile(file);
  equal(result.status, "passed", result.failure && formatFailure(result.failure));
});
