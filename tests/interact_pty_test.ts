/**
 * `interact` and `watch` driven through a real pseudo-terminal (tmux), against Python peers:
 * typed lines reach the peer, replies show as they arrive, Ctrl-] and Ctrl-C give the prompt
 * back with the socket open, Ctrl-D half-closes only when asked.
 */
import { match as assertMatch, ok as assert } from "node:assert/strict";
import { sockit } from "./_helpers.ts";
import { type Peer, spawnPeer } from "./_peers.ts";
import { Tmux } from "./_tmux.ts";

/** Serves connections one after another: greets, prints what it gets, echoes, says bye at EOF. */
const TCP_PEER = `
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    c.sendall(b"welcome \\x07\\r\\nlogin: ")
    while True:
        d = c.recv(4096)
        if not d:
            print("EOF", flush=True)
            break
        print(repr(d), flush=True)
        c.sendall(b"echo: " + d)
    c.sendall(b"bye after eof\\n")
    c.close()
`;

/** Answers every datagram. */
const UDP_PEER = `
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
print(u.getsockname()[1], flush=True)
while True:
    d, a = u.recvfrom(65536)
    u.sendto(b"udp echo: " + d, a)
`;

async function python(script: string): Promise<{ peer: Peer; port: number }> {
  const peer = spawnPeer("python3", ["-c", script]);
  const port = Number((await peer.waitFor(/^(\d+)\n/, 10_000))[1]);
  return { peer, port };
}

/** Reads from `conn` until what came holds `text`. */
async function readUntil(conn: Deno.Conn, text: string): Promise<string> {
  const buf = new Uint8Array(4096);
  let got = "";
  while (!got.includes(text)) {
    const n = await conn.read(buf);
    if (n === null) throw new Error(`connection ended before ${JSON.stringify(text)}: ${got}`);
    got += new TextDecoder().decode(buf.subarray(0, n));
  }
  return got;
}

const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("interact joins the terminal to a socket and watch shows what arrives", async (t) => {
  const state = await Deno.makeTempDir();
  await using tmux = new Tmux();
  await using tcp = (await python(TCP_PEER)).peer;
  const tcpPort = Number(/^(\d+)/.exec(tcp.stdout())![1]);
  await tmux.startShell(state);

  await t.step(
    "bytes buffered before interact show first, the peer's prompt before the typed line",
    async () => {
      await tmux.keys(`open tcp a 127.0.0.1:${tcpPort}`, "Enter");
      await tmux.waitFor(/\[a\] 18 bytes waiting/);
      await tmux.keys("interact a", "Enter");
      await tmux.waitFor(
        /interact with a: lines go out with \\n; Ctrl-\] returns to the prompt, Ctrl-D sends nothing\nwelcome \\x07\nlogin: ?$/m,
      );
    },
  );

  await t.step("each typed line is sent with \\n and the reply shows as it arrives", async () => {
    await tmux.keys("bob", "Enter");
    await tmux.waitFor(/^login: bob\necho: bob$/m);
    await tcp.waitFor(/^b'bob\\n'$/m);
  });

  await t.step(
    "Ctrl-D without --eof-shutdown sends nothing and keeps the socket writable",
    async () => {
      await tmux.keys("C-d");
      await tmux.waitFor(/\(Ctrl-D sends nothing; interact --eof-shutdown half-closes/);
      await tmux.keys("still here", "Enter");
      await tmux.waitFor(/^echo: still here$/m);
      assert(!tcp.stdout().includes("EOF"), tcp.stdout());
    },
  );

  await t.step("Ctrl-] returns to the prompt with the socket still open", async () => {
    await tmux.keys("C-]");
    await tmux.waitFor(
      /^left interact with a \(sent 15 bytes, received 45 bytes\); a still open\nsockit> ?$/m,
    );
    await tmux.keys("C-l", "ls", "Enter");
    await tmux.waitFor(/^a +tcp +open +127\.0\.0\.1:\d+ +127\.0\.0\.1:\d+ +45 +15 +0$/m);
  });

  await t.step(
    "--crlf ends lines with \\r\\n and Ctrl-D with --eof-shutdown half-closes",
    async () => {
      await tmux.keys("C-l", "interact a --crlf --eof-shutdown", "Enter");
      await tmux.waitFor(/lines go out with \\r\\n; .*Ctrl-D shuts down our side/);
      await tmux.keys("hello", "Enter");
      await tcp.waitFor(/^b'hello\\r\\n'$/m);
      await tmux.waitFor(/^echo: hello$/m);
      await tmux.keys("C-d");
      // The peer sees end of stream, answers after it, and closes: all of it shows.
      await tcp.waitFor(/^EOF$/m);
      await tmux.waitFor(/\(a shut down for writing\)/);
      await tmux.waitFor(
        /^bye after eof\n(.*\n)*left interact with a \(sent 7 bytes, received 27 bytes\); a peer closed/m,
      );
      await tmux.waitFor(/^sockit> ?$/m);
    },
  );

  await t.step("interact works on a UDP peer", async () => {
    await using udp = (await python(UDP_PEER)).peer;
    const udpPort = Number(/^(\d+)/.exec(udp.stdout())![1]);
    await tmux.keys("C-l", `open udp u 127.0.0.1:${udpPort}`, "Enter");
    await tmux.waitFor(/u {2}open {2}udp/);
    await tmux.keys("interact u", "Enter");
    await tmux.waitFor(/interact with u: /);
    await tmux.keys("ping", "Enter");
    await tmux.waitFor(/^udp echo: ping$/m);
    await tmux.keys("C-]");
    await tmux.waitFor(/left interact with u \(sent 5 bytes, received 15 bytes\); u still open/);
  });

  await t.step("interact works on a UDP listener's peer", async () => {
    await tmux.keys("C-l", "listen udp w :0", "Enter");
    const screen = await tmux.waitFor(/w {2}listening {2}udp 127\.0\.0\.1:\d+/);
    const port = Number(/udp 127\.0\.0\.1:(\d+)/.exec(screen)![1]);
    const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      await client.send(encode("hi udp"), { transport: "udp", hostname: "127.0.0.1", port });
      await tmux.waitFor(/accepted w\.1/);
      await tmux.keys("interact w.1", "Enter");
      await tmux.waitFor(/^hi udp$/m);
      await tmux.keys("back", "Enter");
      const [reply] = await client.receive();
      assertMatch(new TextDecoder().decode(reply), /^back\n$/);
      await tmux.keys("C-]");
      await tmux.waitFor(
        /left interact with w\.1 \(sent 5 bytes, received 6 bytes\); w\.1 still open/,
      );
    } finally {
      client.close();
    }
  });

  let srvPort = 0;
  const conns: Deno.Conn[] = [];
  try {
    await t.step("interact works on an accepted connection, and Ctrl-C returns too", async () => {
      await tmux.keys("C-l", "listen tcp srv :0", "Enter");
      const screen = await tmux.waitFor(/srv {2}listening {2}tcp 127\.0\.0\.1:(\d+)/);
      srvPort = Number(/127\.0\.0\.1:(\d+)/.exec(screen)![1]);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: srvPort });
      conns.push(conn);
      await conn.write(encode("from client\n"));
      await tmux.waitFor(/\[srv\.1\] 12 bytes waiting/);
      await tmux.keys("interact srv.1", "Enter");
      await tmux.waitFor(/^from client$/m);
      await tmux.keys("to client", "Enter");
      await readUntil(conn, "to client\n");
      await tmux.keys("C-c");
      await tmux.waitFor(
        /left interact with srv\.1 \(sent 10 bytes, received 12 bytes\); srv\.1 still open/,
      );
    });

    await t.step(
      "watch labels what arrives on several sockets, with timestamps, until Ctrl-C",
      async () => {
        const second = await Deno.connect({ hostname: "127.0.0.1", port: srvPort });
        conns.push(second);
        await tmux.waitFor(/accepted srv\.2/);
        await tmux.keys("C-l", "watch srv.* --timestamps", "Enter");
        await tmux.waitFor(/watch srv\.\* --timestamps$/m);
        await conns[0].write(encode("one\n"));
        await tmux.waitFor(/^\d\d:\d\d:\d\d\.\d{3} \[srv\.1\] "one\\n"$/m);
        await second.write(encode("two\n"));
        await tmux.waitFor(/^\d\d:\d\d:\d\d\.\d{3} \[srv\.2\] "two\\n"$/m);
        // A connection that arrives while a glob is watched is watched too.
        const third = await Deno.connect({ hostname: "127.0.0.1", port: srvPort });
        conns.push(third);
        await tmux.waitFor(/accepted srv\.3/);
        await third.write(encode("three"));
        await tmux.waitFor(/\[srv\.3\] "three"$/m);
        await tmux.keys("C-c");
        await tmux.waitFor(/^watched srv\.1, srv\.2, srv\.3: 3 chunks, 13 bytes\nsockit> ?$/m);
      },
    );

    await t.step("watch without timestamps shows the label first; --hex shows dumps", async () => {
      await tmux.keys("C-l", "watch srv.1 u --hex", "Enter");
      await tmux.waitFor(/watch srv\.1 u --hex$/m);
      await conns[0].write(encode("AB"));
      await tmux.waitFor(/^\[srv\.1\] 00000000 {2}41 42 +\|AB\|$/m);
      await tmux.keys("C-c");
      await tmux.waitFor(/^watched srv\.1, u: 1 chunk, 2 bytes$/m);
    });
  } finally {
    for (const conn of conns) conn.close();
  }

  await t.step("the shell leaves cleanly", async () => {
    await tmux.keys("quit", "Enter");
    await tmux.waitFor(/exit code 0/);
  });
  await Deno.remove(state, { recursive: true });
});

Deno.test("interact and watch outside a terminal say they need one", async () => {
  const run = await sockit(["-c", "interact a; watch a b"]);
  assertMatch(run.stderr, /Cannot interact with "a": interact needs a terminal/);
  const watch = await sockit(["-c", "watch a b"]);
  assertMatch(watch.stderr, /Cannot watch "a" "b": watch needs a terminal/);
  assert(run.code !== 0 && watch.code !== 0);
});
