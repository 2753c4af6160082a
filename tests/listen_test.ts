/** Children of listeners: how they are named, and reading one that is still on its way. */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import type { SocketEvent } from "../sockets/named_socket.ts";
import { as } from "./_helpers.ts";
import { spawnPeer, text } from "./_peers.ts";

async function local(shell: Shell, line: string): Promise<string> {
  return as(await shell.execute(line), "socket").info.local;
}

Deno.test("re-listening under a name whose old child is still open numbers new children past it", async () => {
  await using shell = new Shell({ timeout: 3000 });
  const errors: SocketEvent[] = [];
  shell.registry.subscribe((e) => e.type === "error" && errors.push(e));
  await shell.execute(`open tcp a ${await local(shell, "listen tcp s :0")}`);
  await shell.execute("accept s");
  await shell.execute("close s");
  await shell.execute(`open tcp b ${await local(shell, "listen tcp s :0")}`);
  assertEquals(as(await shell.execute("accept s"), "socket").info.name, "s.2");
  await shell.execute("sendline b to the new child");
  assertEquals(text(await shell.execute("recvline s.2")), "to the new child\n");
  await shell.execute("sendline a still the old one");
  assertEquals(text(await shell.execute("recvline s.1")), "still the old one\n");
  assertEquals(errors, []);
});

Deno.test("a closed child gives its name up: the next listener's first child is s.1 again", async () => {
  await using shell = new Shell({ timeout: 3000 });
  await shell.execute(`open tcp a ${await local(shell, "listen tcp s :0")}`);
  await shell.execute("accept s");
  await shell.execute("close s s.1");
  await shell.execute(`open tcp b ${await local(shell, "listen tcp s :0")}`);
  assertEquals(as(await shell.execute("accept s"), "socket").info.name, "s.1");
});

Deno.test("a UDP listener's children close with it, so a new one under that name starts at w.1", async () => {
  await using shell = new Shell({ timeout: 3000 });
  await shell.execute(`open udp a ${await local(shell, "listen udp w :0")}`);
  await shell.execute("send a one");
  assertEquals(text(await shell.execute("recv w.1")), "one");
  await shell.execute("close w");
  await shell.execute(`open udp b ${await local(shell, "listen udp w :0")}`);
  await shell.execute("send b two");
  assertEquals(text(await shell.execute("recv w.1")), "two");
});

Deno.test("recv on a UDP sender's child waits for its first datagram, as TCP waits for the child", async () => {
  await using shell = new Shell({ timeout: 3000 });
  const at = await local(shell, "listen udp w :0");
  // Each round is the race of issue 12: the datagram is still on its way when recv starts.
  for (let i = 1; i <= 20; i++) {
    await shell.execute(`open udp b${i} ${at}`);
    await shell.execute(`send b${i} dg${i}`);
    assertEquals(text(await shell.execute(`recv w.${i}`)), `dg${i}`);
  }
});

Deno.test("recv on a child that never comes still ends with no such socket, after its timeout", async () => {
  await using shell = new Shell();
  await shell.execute("listen udp w :0");
  let message = "";
  try {
    await shell.execute("recv w.1 --timeout 200ms");
  } catch (error) {
    message = (error as Error).message;
  }
  assertEquals(message, 'Cannot recv from "w.1": no such socket');
});

Deno.test("recvline on the child of a socat UDP sender works without waiting for accept", async () => {
  await using shell = new Shell({ timeout: 3000 });
  const at = await local(shell, "listen udp w :0");
  await using _peer = spawnPeer("socat", ["-", `UDP:${at}`]);
  await _peer.write("from socat\n");
  assertEquals(text(await shell.execute("recvline w.1")), "from socat\n");
});
