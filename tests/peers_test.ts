/**
 * Proof with peers nobody here wrote: the Python programs socket tutorials teach (in
 * tests/python) against sockit's servers, sockit's shell against the Python servers, and
 * `ncat --chat` beside sockit's chat room.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import type { Result } from "../commands/result.ts";
import { startServer } from "../protocols/mod.ts";
import { as, closedPort } from "./_helpers.ts";
import { python, pythonOutput, pythonServer, spawn, waitForListening } from "./_tutorial_peers.ts";

const text = (r: Result) => r.kind === "data" ? new TextDecoder().decode(r.data) : `<${r.kind}>`;
const portOf = (addr: Deno.Addr) => (addr as Deno.NetAddr).port;

Deno.test("the tutorial blocking echo client gets its bytes back from sockit's echo server", async () => {
  await using server = await startServer("echo", "tcp", "127.0.0.1:0");
  const message = "hello from python\\n".repeat(200); // 3.6 KB: several recv(1024) calls
  const out = await pythonOutput("echo_client.py", ["127.0.0.1", portOf(server.addr), message]);
  assertEquals(out, "hello from python\n".repeat(200));
});

Deno.test("the tutorial echo client gets one ACK line per line from sockit's ack server", async () => {
  await using server = await startServer("ack", "tcp", "127.0.0.1:0");
  const out = await pythonOutput("echo_client.py", [
    "127.0.0.1",
    portOf(server.addr),
    "a\\nb b\\n",
  ]);
  assertEquals(out, 'ACK 1 "a"\nACK 2 "b b"\n');
});

Deno.test("the tutorial UDP client gets replies from sockit's udp echo and ack servers", async () => {
  await using echo = await startServer("echo", "udp", "127.0.0.1:0");
  const out = await pythonOutput("udp_client.py", ["127.0.0.1", portOf(echo.addr), "one", "two"]);
  assertEquals(out, "one\ntwo\n");
  await using ack = await startServer("ack", "udp", "127.0.0.1:0");
  const acks = await pythonOutput("udp_client.py", ["127.0.0.1", portOf(ack.addr), "one", "two"]);
  assertEquals(acks, 'ACK 1 "one"\nACK 2 "two"\n');
});

Deno.test("the tutorial echo client reads the date from sockit's daytime server", async () => {
  await using server = await startServer("daytime", "tcp", "127.0.0.1:0");
  const out = await pythonOutput("echo_client.py", ["127.0.0.1", portOf(server.addr), ""]);
  assertMatch(out, /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n$/);
});

Deno.test("two threaded Python chat clients talk through sockit's chat room", async () => {
  await using server = await startServer("chat", "tcp", "127.0.0.1:0");
  const port = portOf(server.addr);
  await using alice = python("chat_client.py", ["127.0.0.1", port, "alice"]);
  assertEquals(await alice.nextLine(), "* welcome alice, 1 online");
  await using bob = python("chat_client.py", ["127.0.0.1", port, "bob"]);
  assertEquals(await bob.nextLine(), "* welcome bob, 2 online");
  assertEquals(await alice.nextLine(), "* bob joined");
  await bob.write("hello alice\n");
  assertEquals(await alice.nextLine(), "bob: hello alice");
  await alice.write("hi bob\n/who\n");
  assertEquals(await bob.nextLine(), "alice: hi bob");
  assertEquals(await alice.nextLine(), "* online (2): alice, bob");
  const bobDone = await bob.finish(); // end of stdin: the client sends /quit
  assertEquals(bobDone, { code: 0, rest: "* bye bob\n" });
  assertEquals(await alice.nextLine(), "* bob left");
});

Deno.test("the same Python chat client works with ncat --chat, which tags lines <userN>", async () => {
  const port = closedPort();
  await using _ncat = spawn("ncat", ["--chat", "-l", "127.0.0.1", String(port)]);
  await waitForListening(port);
  await using alice = python("chat_client.py", ["127.0.0.1", port, "alice"]);
  // ncat greets each client with "<announce> already connected: …"; wait for alice's greeting so
  // that she is in the room before bob's first line is broadcast.
  await alice.lineMatching(/^<announce> already connected/);
  await using bob = python("chat_client.py", ["127.0.0.1", port, "bob"]);
  // ncat has no nicknames: the first line is an ordinary message, sent as "<userN> alice".
  assertMatch(await alice.lineMatching(/bob$/), /^<user\d+> bob$/);
  await bob.write("hello alice\n");
  assertMatch(await alice.lineMatching(/hello/), /^<user\d+> hello alice$/);
});

Deno.test("sockit's shell talks to the tutorial selectors server over several connections", async () => {
  const { server, port } = await pythonServer("selectors_server.py");
  await using _server = server;
  await using shell = new Shell();
  for (const name of ["c1", "c2", "c3"]) await shell.execute(`open tcp ${name} 127.0.0.1:${port}`);
  const sent = as(await shell.execute("send c* hello"), "message"); // a glob: every client sends
  assertEquals(sent.text, "sent 5 bytes to 3 sockets (c*)");
  await shell.execute("sendline c3 from c3");
  assertEquals(text(await shell.execute("recvexact c1 5")), "hello");
  assertEquals(text(await shell.execute("recvexact c2 5")), "hello");
  assertEquals(text(await shell.execute("recvline c3")), "hellofrom c3\n");
  assertEquals(as(await shell.execute("ls c1"), "table").rows[0][2], "open");
});

Deno.test("sockit's shell talks to the tutorial blocking echo server, framed or not", async () => {
  const { server, port } = await pythonServer("echo_server.py");
  await using _server = server;
  await using shell = new Shell();
  await shell.execute(`open tcp a 127.0.0.1:${port}`);
  await shell.execute("frame a u32");
  await shell.execute('send a "a whole message\\n"');
  assertEquals(text(await shell.execute("recv a")), "a whole message\n");
  await shell.execute("frame a none");
  await shell.execute("sendline a raw");
  assertEquals(text(await shell.execute("recvline a")), "raw\n");
});
