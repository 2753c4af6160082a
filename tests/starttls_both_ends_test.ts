/** Issue 12: one shell upgrades both ends of a connection to TLS, one of them in the background. */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import type { SocketEvent } from "../sockets/named_socket.ts";
import { as, eventually } from "./_helpers.ts";
import { makeTestCerts } from "./_peers.ts";

const text = (r: { data?: Uint8Array }) => new TextDecoder().decode(r.data);

Deno.test("starttls --background lets one shell upgrade both ends, then they talk over TLS", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  const srv = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket").info.local;
  await shell.execute(`open tcp a ${srv}`);
  await shell.execute("accept srv");
  const started = as(
    await shell.execute(`starttls srv.1 --cert ${certs.leaf} --key ${certs.leafKey} --background`),
    "message",
  );
  assertMatch(started.text, /^upgrading srv\.1 to TLS in the background/);
  const client = as(await shell.execute(`starttls a --ca ${certs.ca}`), "socket");
  assertMatch(client.info.note ?? "", /TLSv1\.[23]/);
  await eventually(
    () => /TLSv1\.[23]/.test(shell.registry.get("srv.1", "test").info().note ?? ""),
    "the server side's handshake to finish",
  );
  await shell.execute("sendline a secret");
  assertEquals(text(as(await shell.execute("recvline srv.1"), "data")), "secret\n");
  await shell.execute("sendline srv.1 reply");
  assertEquals(text(as(await shell.execute("recvline a"), "data")), "reply\n");
});

Deno.test("a background starttls that fails says so in an error event", async () => {
  await using certs = await makeTestCerts();
  await using shell = new Shell({ timeout: 5000 });
  const events: SocketEvent[] = [];
  shell.registry.subscribe((e) => events.push(e));
  const srv = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket").info.local;
  await shell.execute(`open tcp a ${srv}`);
  await shell.execute("accept srv");
  await shell.execute(
    `starttls srv.1 --cert ${certs.leaf} --key ${certs.leafKey} --background --timeout 300ms`,
  );
  // Nobody starts the client side: the server's handshake times out in the background.
  const failed = await eventually(
    () => events.find((e) => e.type === "error" && e.name === "srv.1"),
    "an error event for srv.1",
  );
  assertEquals(failed.type, "error");
});
