/**
 * The fault suite (issue 11): real misbehaving peers on loopback, each test bounded by the
 * shell's timeouts. After every fault the next command is answered, `ls` tells the truth,
 * another socket is untouched and no descriptor is left behind.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { churn, openDescriptors } from "../bench/churn.ts";
import { as, echoPeer, eventually } from "./_helpers.ts";
import { failure, makeTestCerts, text } from "./_peers.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/**
 * A Python peer on 127.0.0.1:0 that runs `body` on each accepted socket `c` (with `RST(c)`,
 * which resets it through SO_LINGER 0). Resolves with its port once it listens.
 */
async function pythonPeer(body: string): Promise<{ port: number } & AsyncDisposable> {
  const program = `
import socket, struct, sys
def RST(c):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    c.close()
s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
${body.split("\n").map((l) => "    " + l).join("\n")}
`;
  const child = new Deno.Command("python3", {
    args: ["-c", program],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the python peer did not start");
    seen += value;
  }
  reader.releaseLock();
  return {
    port: Number(seen.trim()),
    async [Symbol.asyncDispose]() {
      child.kill("SIGKILL");
      await child.stdout.cancel().catch(() => {});
      await child.status;
    },
  };
}

/** The checks after every fault: `b` (to an echo peer) still talks, `ls` answers. */
async function stillAnswering(shell: Shell): Promise<void> {
  await shell.execute("sendline b still here");
  assertEquals(text(await shell.execute("recvline b")), "still here\n");
  const rows = as(await shell.execute("ls b"), "table").rows;
  assertEquals(rows[0].slice(0, 3), ["b", "tcp", "open"]);
}

/** Closes every socket and checks that the process holds no more descriptors than `before`. */
async function noLeak(shell: Shell, before: number): Promise<void> {
  await shell.close();
  // Peers and the runtime release their descriptors a moment after a close: wait (bounded).
  await eventually(
    () => openDescriptors() <= before,
    `descriptors back to ${before} (now ${openDescriptors()})`,
    3000,
  ).catch(() => {
    assert(false, `descriptors: ${before} before, ${openDescriptors()} after`);
  });
}

Deno.test("a peer that resets mid-recv: the read fails in one line, its bytes stay readable", async () => {
  await using peer = await pythonPeer("c.sendall(b'partial line'); c.recv(1); RST(c)");
  await using echo = echoPeer();
  const before = openDescriptors();
  const shell = new Shell({ timeout: 3000 });
  await shell.execute(`open tcp b 127.0.0.1:${echo.addr.port}`);
  await shell.execute(`open tcp a 127.0.0.1:${peer.port}`);
  await shell.execute("send a x"); // the peer resets once it has this
  const error = await failure(shell, "recvline a");
  assertMatch(error, /^error: Cannot recvline from "a": connection reset .*12 bytes kept/i);
  assert(!error.includes("\n"));
  assertEquals(text(await shell.execute("recv a 100")), "partial line");
  assertEquals(as(await shell.execute("ls a"), "table").rows[0][2], "peer-closed");
  await stillAnswering(shell);
  await noLeak(shell, before + 2); // the two peers' own sockets
});

Deno.test("a peer that resets mid-send of 32 MiB: the send ends with its true count", async () => {
  await using peer = await pythonPeer("c.recv(65536); RST(c)");
  await using echo = echoPeer();
  const file = await Deno.makeTempFile();
  await Deno.writeFile(file, new Uint8Array(32 * 1024 * 1024));
  const before = openDescriptors();
  const shell = new Shell({ timeout: 5000 });
  await shell.execute(`open tcp b 127.0.0.1:${echo.addr.port}`);
  await shell.execute(`open tcp a 127.0.0.1:${peer.port}`);
  const error = await failure(shell, `send a @${file}`);
  assertMatch(
    error,
    /^error: Cannot send to "a": (connection reset by peer|peer closed the connection \(broken pipe\)), \d+ of 33554432 bytes sent$/,
  );
  const sent = Number(/(\d+) of/.exec(error)?.[1]);
  const row = as(await shell.execute("ls a"), "table").rows[0];
  assertEquals(Number(row[6]), sent, `ls says ${row[6]} out, the error ${error}`);
  assert(sent < 32 * 1024 * 1024);
  await stillAnswering(shell);
  await noLeak(shell, before + 2);
  await Deno.remove(file);
});

Deno.test("a peer that resets mid-TLS-handshake is an error on its child; the listener goes on", async () => {
  await using certs = await makeTestCerts();
  await using echo = echoPeer();
  const shell = new Shell({ timeout: 5000 });
  const events: string[] = [];
  shell.registry.subscribe((e) => events.push(e.type + " " + e.name));
  await shell.execute(`open tcp b 127.0.0.1:${echo.addr.port}`);
  const srv = as(
    await shell.execute(`listen tls srv :0 --cert ${certs.leaf} --key ${certs.leafKey}`),
    "socket",
  );
  const port = Number(srv.info.local.split(":").pop());
  // A ClientHello cut short, then a reset.
  const reset = new Deno.Command("python3", {
    args: [
      "-c",
      `import socket, struct
c = socket.create_connection(('127.0.0.1', ${port}))
c.sendall(b'\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03' + b'\\x00' * 20)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
c.close()`,
    ],
  });
  assert((await reset.output()).success);
  // The listener still serves a real TLS client.
  const conn = await Deno.connectTls({
    hostname: "localhost",
    port,
    caCerts: [await Deno.readTextFile(certs.ca)],
  });
  await conn.write(enc("after the reset\n"));
  // The reset connection may have become a child whose handshake failed: its read fails in one
  // line, and the real client is the next child.
  let line = "";
  for (let i = 0; i < 2 && !line; i++) {
    const child = as(await shell.execute("accept srv"), "socket").info.name;
    try {
      line = text(await shell.execute(`recvline ${child}`));
    } catch (error) {
      assertMatch(String(error), /Cannot recvline from "srv\.1": /);
    }
  }
  assertEquals(line, "after the reset\n");
  conn.close();
  await stillAnswering(shell);
  assertEquals(as(await shell.execute("ls srv"), "table").rows[0][2], "listening");
  await shell.close();
});

Deno.test("half-close both ways: each side still sends after the other shut down", async () => {
  await using echo = echoPeer();
  const before = openDescriptors();
  const shell = new Shell({ timeout: 3000 });
  await shell.execute(`open tcp b 127.0.0.1:${echo.addr.port}`);
  const port = Number(
    as(await shell.execute("listen tcp srv :0"), "socket").info.local.split(":").pop(),
  );
  // The peer asks, shuts down its side, then waits for the answer: the claimed child keeps its
  // descriptor, so it can still answer.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await shell.execute("accept srv");
  await conn.write(enc("question\n"));
  await conn.closeWrite();
  assertEquals(text(await shell.execute("recvline srv.1")), "question\n");
  assertMatch(await failure(shell, "recv srv.1"), /end of stream, peer closed/);
  assertEquals(as(await shell.execute("ls srv.1"), "table").rows[0][2], "peer-closed");
  await shell.execute("sendline srv.1 answer");
  const buf = new Uint8Array(7);
  let have = 0;
  while (have < 7) have += (await conn.read(buf.subarray(have))) ?? 7;
  assertEquals(new TextDecoder().decode(buf), "answer\n");
  // Our side shuts down; the peer sees the end and can still talk to us.
  await shell.execute("shutdown srv.1");
  assertEquals(await conn.read(new Uint8Array(1)), null);
  conn.close();
  await stillAnswering(shell);
  await noLeak(shell, before + 1);
});

Deno.test("a line dribbled one byte at a time arrives whole in recvline", async () => {
  await using echo = echoPeer();
  const shell = new Shell({ timeout: 5000 });
  await shell.execute(`open tcp b 127.0.0.1:${echo.addr.port}`);
  const port = Number(
    as(await shell.execute("listen tcp srv :0"), "socket").info.local.split(":").pop(),
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const line = "one byte at a time\n";
  const dribble = (async () => {
    for (const byte of enc(line)) await conn.write(new Uint8Array([byte]));
  })();
  assertEquals(text(await shell.execute("recvline srv.1")), line);
  await dribble;
  assertEquals(Number(as(await shell.execute("ls srv.1"), "table").rows[0][5]), line.length);
  conn.close();
  await stillAnswering(shell);
  await shell.close();
});

Deno.test("100 MB without a newline: recvline fails cleanly and every byte stays readable", async () => {
  await using echo = echoPeer();
  const shell = new Shell({ timeout: 10_000 });
  await shell.execute(`open tcp b 127.0.0.1:${echo.addr.port}`);
  const port = Number(
    as(await shell.execute("listen tcp srv :0"), "socket").info.local.split(":").pop(),
  );
  const total = 100 * 1000 * 1000;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const sending = (async () => {
    const chunk = new Uint8Array(1 << 20).fill(0x61);
    for (let left = total; left > 0;) {
      const n = await conn.write(chunk.subarray(0, Math.min(left, chunk.length)));
      left -= n;
    }
    conn.close(); // the end comes before any newline
  })();
  const error = await failure(shell, "recvline srv.1");
  await sending;
  assertMatch(error, /^error: Cannot recvline from "srv.1": end of stream.*100000000 bytes kept/);
  assert(!error.includes("\n") && error.length < 300, error);
  let read = 0;
  while (read < total) {
    const r = as(await shell.execute("recv srv.1 16777216"), "data");
    assert(r.data.every((b) => b === 0x61));
    read += r.data.length;
  }
  assertMatch(
    await failure(shell, "recv srv.1"),
    /end of stream, peer closed \(nothing buffered\)/,
  );
  assertEquals(read, total);
  await stillAnswering(shell);
  await shell.close();
});

for (const server of ["listen tcp srv :0", "serve echo tcp srv :0", "serve chat tcp srv :0"]) {
  Deno.test(`1,000 connect/drop cycles against ${server} leave descriptors and rows bounded`, async () => {
    const shell = new Shell({ timeout: 3000 });
    const f = await churn(shell, server, 1000);
    assert(f.fdsAfter <= f.fdsBefore + 2, `descriptors ${f.fdsBefore} → ${f.fdsAfter}`);
    assertEquals(f.bytesLost, 0);
    assert(f.lsRows <= 257 + 1, `ls shows ${f.lsRows} rows`);
    assert(f.rssAfterMiB - f.rssBeforeMiB < 128, `RSS ${f.rssBeforeMiB} → ${f.rssAfterMiB} MiB`);
    // The next command is answered, on the same server.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: portOf(shell) });
    if (server.startsWith("listen")) {
      await conn.write(enc("after the churn\n"));
      assertEquals(text(await shell.execute("recvline srv.1001")), "after the churn\n");
    } else if (server.startsWith("serve echo")) {
      await conn.write(enc("x"));
      assertEquals(await conn.read(new Uint8Array(1)), 1);
    }
    conn.close();
    await shell.close();
  });
}

function portOf(shell: Shell): number {
  const row = shell.registry.get("srv", "test").info();
  return Number(row.local.split(":").pop());
}
