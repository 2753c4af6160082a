import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import type { Result } from "../commands/result.ts";
import type { SocketEvent } from "../sockets/named_socket.ts";
import { startServer } from "../protocols/mod.ts";
import { ackReply } from "../protocols/ack.ts";
import { as, eventually, sockit, SOCKIT_NATIVE_RUN, SOCKIT_RUN } from "./_helpers.ts";

const text = (r: Result) => r.kind === "data" ? new TextDecoder().decode(r.data) : `<${r.kind}>`;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Where to connect to a server's TCP address. */
function tcpAddr(addr: Deno.Addr): { hostname: string; port: number } {
  const { hostname, port } = addr as Deno.NetAddr;
  return { hostname, port };
}

async function serving(shell: Shell, line: string): Promise<string> {
  return as(await shell.execute(line), "socket").info.local;
}

/** Reads from a conn until `n` bytes arrived or it ends. */
async function readAll(conn: Deno.Conn, n = Infinity): Promise<Uint8Array> {
  const chunks: number[] = [];
  const buf = new Uint8Array(4096);
  while (chunks.length < n) {
    const got = await conn.read(buf);
    if (got === null) break;
    chunks.push(...buf.subarray(0, got));
  }
  return new Uint8Array(chunks);
}

/** A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI. */
async function testCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = `${dir}/cert.pem`;
  const key = `${dir}/key.pem`;
  const out = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return { cert, key };
}

Deno.test("serve echo tcp starts an echo server the shell can talk to", async () => {
  await using shell = new Shell();
  const r = as(await shell.execute("serve echo tcp e :0"), "socket");
  assertEquals(r.info.note, "echo");
  assertMatch(r.info.local, /^127\.0\.0\.1:\d+$/);
  await shell.execute(`open tcp a ${r.info.local}`);
  await shell.execute('send a "hello\\n"');
  assertEquals(text(await shell.execute("recvline a")), "hello\n");
});

Deno.test("ls shows a built-in server with its protocol and connection counts", async () => {
  await using shell = new Shell();
  const addr = await serving(shell, "serve echo tcp e :0");
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute(`open tcp b ${addr}`);
  await shell.execute("sendline a hi");
  await shell.execute("recvline a");
  // The server counts an echo once its write returned, which can be after the client has it.
  const row = await eventually(async () => {
    const [row] = as(await shell.execute("ls e"), "table").rows;
    return row[6] === "3" && row[8].startsWith("echo: 2 connected") && row;
  }, "the echo and both connections to be counted");
  assertEquals(row.slice(0, 3), ["e", "tcp", "listening"]);
  assertEquals(row.slice(5), ["3", "3", "-", "echo: 2 connected, 2 total"]);
});

Deno.test("a built-in server reports accepted and closed events through the registry", async () => {
  await using shell = new Shell();
  const events: SocketEvent[] = [];
  shell.registry.subscribe((e) => events.push(e));
  const addr = await serving(shell, "serve echo tcp e :0");
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute("sendline a hi");
  await shell.execute("recvline a");
  await shell.execute("close a");
  const mine = await eventually(() => {
    const mine = events.filter((e) => e.name.startsWith("e"));
    return mine.length === 2 && mine;
  }, "the accepted and closed events");
  assertEquals(mine.map((e) => e.type), ["accepted", "closed"]);
  assertEquals(mine[0].type === "accepted" && mine[0].child, "e#1");
  assertEquals(mine[1].name, "e#1");
});

Deno.test("close NAME stops a built-in server and closes its connections", async () => {
  await using shell = new Shell();
  const addr = await serving(shell, "serve echo tcp e :0");
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute("sendline a hi");
  await shell.execute("recvline a");
  await shell.execute("close e");
  await assertRejects(shell.execute("recv a --timeout 2s"), /end of stream/);
  assertEquals(as(await shell.execute("ls e"), "table").rows[0][2], "closed");
  await assertRejects(shell.execute(`open tcp b ${addr}`), /connection refused/);
});

Deno.test("ack answers each line with ACK n and the quoted line, keeping its line ending", async () => {
  await using shell = new Shell();
  const addr = await serving(shell, "serve ack tcp k :0");
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute('send a "hello\\nsay \\"hi\\"\\r\\n" hex:00ff0a');
  assertEquals(text(await shell.execute("recvline a")), 'ACK 1 "hello"\n');
  assertEquals(text(await shell.execute("recvline a")), 'ACK 2 "say \\"hi\\""\r\n');
  assertEquals(text(await shell.execute("recvline a")), 'ACK 3 "\\0\\xff"\n');
});

Deno.test("ack answers an unterminated last line when the client shuts down", async () => {
  await using server = await startServer("ack", "tcp", "127.0.0.1:0");
  const conn = await Deno.connect(tcpAddr(server.addr));
  await conn.write(enc("one\ntwo"));
  await conn.closeWrite();
  assertEquals(dec(await readAll(conn)), 'ACK 1 "one"\nACK 2 "two"\n');
  conn.close();
});

Deno.test("ackReply quotes text as a payload literal", () => {
  assertEquals(ackReply(7, enc("tab\there é")), 'ACK 7 "tab\\there é"');
  assertEquals(ackReply(1, new Uint8Array([0x41, 0x1b, 0xc3])), 'ACK 1 "A\\x1b\\xc3"');
});

Deno.test("discard reads everything and sends nothing back", async () => {
  await using shell = new Shell();
  const addr = await serving(shell, "serve discard tcp d :0");
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute("send a lots of bytes");
  await eventually(
    async () => as(await shell.execute("ls d"), "table").rows[0][5] === "13",
    "13 bytes in",
  );
  // When we finish, the server closes its side: end of stream with nothing before it.
  await shell.execute("shutdown a");
  await assertRejects(shell.execute("recv a"), /end of stream.*nothing buffered|end of stream/);
  assertEquals(as(await shell.execute("ls a"), "table").rows[0][5], "0");
});

Deno.test("daytime sends the date line and closes, over tcp and udp", async () => {
  await using tcp = await startServer("daytime", "tcp", "127.0.0.1:0");
  const conn = await Deno.connect(tcpAddr(tcp.addr));
  const line = dec(await readAll(conn));
  conn.close();
  assertMatch(line, /^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n$/);

  await using udp = await startServer("daytime", "udp", "127.0.0.1:0");
  const client = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  try {
    await client.send(enc("?"), udp.addr);
    const [reply] = await client.receive();
    assertMatch(dec(reply), /GMT\r\n$/);
  } finally {
    client.close();
  }
});

Deno.test("echo over udp returns each datagram to its sender", async () => {
  await using shell = new Shell();
  const r = as(await shell.execute("serve echo udp u :0"), "socket");
  const port = Number(r.info.local.split(":")[1]);
  const client = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  try {
    const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port };
    await client.send(enc("one"), to);
    assertEquals(dec((await client.receive())[0]), "one");
    await client.send(enc("two"), to);
    assertEquals(dec((await client.receive())[0]), "two");
  } finally {
    client.close();
  }
  assertEquals(as(await shell.execute("ls u"), "table").rows[0][8], "echo: 1 peer");
});

Deno.test("echo over a unix socket works and the socket file is removed on close", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/echo.sock`;
  try {
    await using shell = new Shell();
    await shell.execute(`serve echo unix ue ${path}`);
    const conn = await Deno.connect({ transport: "unix", path });
    await conn.write(enc("over unix"));
    assertEquals(dec(await readAll(conn, 9)), "over unix");
    conn.close();
    await shell.execute("close ue");
    await assertRejects(Deno.stat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("echo over tls answers a client that trusts the test certificate", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { cert, key } = await testCertificate(dir);
    await using shell = new Shell();
    const addr = await serving(shell, `serve echo tls te :0 --cert ${cert} --key ${key}`);
    const port = Number(addr.split(":")[1]);
    for (const hostname of ["localhost", "127.0.0.1"]) {
      const conn = await Deno.connectTls({
        hostname,
        port,
        caCerts: [await Deno.readTextFile(cert)],
      });
      await conn.write(enc("secret"));
      assertEquals(dec(await readAll(conn, 6)), "secret");
      conn.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve over tls without --cert names the missing options", async () => {
  await using shell = new Shell();
  await assertRejects(
    shell.execute("serve echo tls te :0"),
    /a TLS server needs --cert FILE and --key FILE/,
  );
});

Deno.test("serve rejects an unknown protocol with a suggestion, and a bad transport", async () => {
  await using shell = new Shell();
  await assertRejects(shell.execute("serve ecko tcp e :0"), (e: Error & { hint?: string }) => {
    assertMatch(e.message, /unknown protocol "ecko"/);
    assertEquals(e.hint, "did you mean echo?");
    return true;
  });
  await assertRejects(shell.execute("serve chat udp c :0"), /chat does not run on udp/);
  await assertRejects(shell.execute("serve chat tcp c :0 --frame u16"), /--frame applies to echo/);
});

Deno.test("serve refuses a name already in use", async () => {
  await using shell = new Shell();
  await shell.execute("serve echo tcp e :0");
  await assertRejects(shell.execute("serve echo tcp e :0"), /name already in use/);
});

/**
 * Runs `sockit serve PROTOCOL tcp 127.0.0.1:0`, checks its log lines (`detail`: the line after
 * the first, if any), one exchange, and a clean stop on SIGTERM.
 */
async function serveInForeground(
  protocol: string,
  detail: RegExp | undefined,
  sent: string,
  reply: string,
  run = SOCKIT_RUN,
) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...run,
      "serve",
      protocol,
      "tcp",
      "127.0.0.1:0",
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const nextLine = async () => {
    while (!seen.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`log ended: ${seen}`);
      seen += value;
    }
    const i = seen.indexOf("\n");
    const line = seen.slice(0, i);
    seen = seen.slice(i + 1);
    return line;
  };
  const first = await nextLine();
  const m = new RegExp(`^${protocol} listening on tcp 127\\.0\\.0\\.1:(\\d+)$`).exec(first);
  assert(m, first);
  if (detail) assertMatch(await nextLine(), detail);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(m[1]) });
  assertMatch(await nextLine(), /^#1 accepted from 127\.0\.0\.1:\d+$/);
  await conn.write(enc(sent));
  assertEquals(dec(await readAll(conn, reply.length)), reply);
  child.kill("SIGTERM");
  assertEquals(await nextLine(), "stopping: closing 1 connection");
  assertEquals(
    await nextLine(),
    `#1 closed (in ${sent.length} bytes, out ${reply.length} bytes): server stopped`,
  );
  assertEquals(await nextLine(), "stopped");
  assertEquals(await readAll(conn), new Uint8Array(0)); // the client sees a clean end of stream
  conn.close();
  lines.releaseLock();
  await child.stdout.cancel().catch(() => {});
  await child.stderr.cancel();
  assertEquals((await child.status).code, 143, "SIGTERM exits 143");
}

Deno.test("sockit serve logs one line per event and stops cleanly on SIGTERM", async () => {
  await serveInForeground("ack", undefined, "hi\n", 'ACK 1 "hi"\n');
});

Deno.test("sockit-native serve echo says it runs the native loop, and stops cleanly too", async () => {
  const native = /^\(native loop, busy-poll 50 µs\)$/;
  await serveInForeground("echo", native, "hi\n", "hi\n", SOCKIT_NATIVE_RUN);
});

Deno.test("sockit serve echo without --allow-ffi says it runs the Deno loop, and why", async () => {
  const fallback =
    /^\(Deno loop; native loop off: no --allow-ffi \(deno task shell-native grants it\)\)$/;
  await serveInForeground("echo", fallback, "hi\n", "hi\n");
});

Deno.test("sockit serve with an unknown protocol fails with one line and exit code 1", async () => {
  const run = await sockit(["serve", "nope", "tcp", ":0"]);
  assertEquals(run.code, 1);
  assertMatch(run.stderr, /^error: Cannot serve "nope": unknown protocol "nope"/);
});
