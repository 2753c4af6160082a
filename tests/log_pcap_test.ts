/**
 * The pcap log against the real tools: tshark reads what sockit wrote (every followed byte in
 * order, no malformed packets), and tcpdump captures the same session on the loopback
 * interface for comparison. These tests need root for tcpdump (they run as root here and in
 * CI); when tcpdump cannot capture they fail, loudly.
 */
import assert from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import type { StreamSocket } from "../sockets/stream_socket.ts";
import { as, eventually } from "./_helpers.ts";

const decoder = new TextDecoder();

/** Runs a tool and returns its stdout; fails the test with its stderr when it fails. */
async function run(program: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "piped" }).output();
  const stderr = decoder.decode(out.stderr);
  if (!out.success) throw new Error(`${program} ${args.join(" ")} failed: ${stderr}`);
  return decoder.decode(out.stdout);
}

/** What `tshark -qz follow,tcp,raw,N` shows of a stream: each side's bytes, as hex. */
async function followed(file: string, stream = 0): Promise<{ client: string; server: string }> {
  const out = await run("tshark", ["-r", file, "-qz", `follow,tcp,raw,${stream}`]);
  let client = "", server = "";
  for (const line of out.split("\n")) {
    if (/^\t[0-9a-f]+$/.test(line)) server += line.slice(1);
    else if (/^[0-9a-f]+$/.test(line)) client += line;
  }
  return { client, server };
}

/**
 * tshark's expert summary of a file, as Wireshark shows it by default: fails on errors or
 * malformed packets. Then with checksum validation on: every IPv4 header, every UDP datagram
 * and every TCP segment of at most 16 KiB of payload must check; larger TCP segments carry 0
 * (the log does not sum bulk payloads, as a capture behind checksum offload does not).
 */
async function assertNoExpertErrors(file: string): Promise<void> {
  const out = await run("tshark", ["-r", file, "-q", "-z", "expert"]);
  assert.doesNotMatch(out, /^Errors \(/m, out);
  assert.doesNotMatch(out, /malformed/i, out);
  const validated = [
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
    "-o",
    "ip.check_checksum:TRUE",
  ];
  const bad = await run("tshark", [
    "-r",
    file,
    ...validated,
    "-Y",
    "ip.checksum.status == 0 || udp.checksum.status == 0 || " +
    "(tcp.checksum.status == 0 && (tcp.len <= 16384 || tcp.checksum != 0))",
  ]);
  assert.equal(bad, "", `packets with a bad checksum:\n${bad}`);
}

/** Fields of every packet, one line each (`tshark -T fields`). */
async function fields(file: string, filter: string, ...names: string[]): Promise<string[]> {
  const args = ["-r", file, "-Y", filter, "-T", "fields"];
  for (const n of names) args.push("-e", n);
  return (await run("tshark", args)).split("\n").filter((l) => l !== "");
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** tcpdump on `lo` for one port, until stopped; fails loudly when it cannot capture. */
async function tcpdump(file: string, port: number) {
  const child = new Deno.Command("tcpdump", {
    args: ["-i", "lo", "-U", "-n", "-s", "0", "-w", file, `port ${port}`],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("listening on")) {
    const { value, done } = await reader.read();
    if (done) {
      await child.status;
      throw new Error(`tcpdump cannot capture on lo (it needs root): ${said}`);
    }
    said += value;
  }
  return {
    /** Stops once `ready` (a check of the capture so far) holds, then ends tcpdump. */
    async stop(ready: () => Promise<boolean>) {
      try {
        await eventually(ready, "tcpdump to see the whole session", 10_000);
      } finally {
        child.kill("SIGINT");
        await child.status;
        reader.releaseLock();
        await child.stderr.cancel().catch(() => {});
      }
    },
  };
}

/** An echo peer outside the shell (so only one end is in the log), on `hostname`. */
function echo(hostname: string) {
  const listener = Deno.listen({ hostname, port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    const buf = new Uint8Array(64 * 1024);
    try {
      for (let n; (n = await conn.read(buf)) !== null;) {
        for (let off = 0; off < n;) off += await conn.write(buf.subarray(off, n));
      }
    } catch { /* reset */ }
    conn.close();
  })();
  return { port: listener.addr.port, served, close: () => listener.close() };
}

async function echoSession(hostname: string, shown: string) {
  const dir = await Deno.makeTempDir({ prefix: "sockit-pcap-" });
  const peer = echo(hostname);
  const dump = await tcpdump(`${dir}/real.pcap`, peer.port);
  await using shell = new Shell();
  await shell.execute(`log start ${dir}/sockit.pcap`);
  await shell.execute(`open tcp a ${shown}:${peer.port}`);
  await shell.execute('send a "hello\\n"');
  assert.equal(decoder.decode(as(await shell.execute("recvexact a 6"), "data").data), "hello\n");
  // 300 KiB of binary: more than one IP packet holds, so the log segments it.
  const big = new Uint8Array(300 * 1024).map((_, i) => (i * 7) & 0xff);
  await (shell.registry.get("a", "send") as StreamSocket).write(big);
  assert.equal(
    as(await shell.execute(`recvexact a ${big.length}`), "data").data.length,
    big.length,
  );
  await shell.execute("close a");
  await shell.execute("log stop");
  peer.close();
  await peer.served;
  const sent = "68656c6c6f0a" + hex(big);
  const mine = await followed(`${dir}/sockit.pcap`);
  assert.equal(mine.client, sent);
  assert.equal(mine.server, sent);
  await assertNoExpertErrors(`${dir}/sockit.pcap`);
  const lengths = await fields(`${dir}/sockit.pcap`, "tcp.len > 0", "tcp.len");
  assert(lengths.every((n) => Number(n) <= 65492), `a segment over 65,495 bytes: ${lengths}`);
  await dump.stop(async () => (await followed(`${dir}/real.pcap`)).server === sent);
  assert.deepEqual(await followed(`${dir}/real.pcap`), mine);
  await Deno.remove(dir, { recursive: true });
}

Deno.test("an IPv4 TCP echo session's pcap log follows byte for byte as tcpdump's capture of it does", async () => {
  await echoSession("127.0.0.1", "127.0.0.1");
});

Deno.test("an IPv6 TCP echo session's pcap log follows byte for byte as tcpdump's capture of it does", async () => {
  await echoSession("::1", "[::1]");
});

Deno.test("a UDP exchange is logged as UDP datagrams with their lengths, payloads and valid checksums", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-pcap-" });
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (peer.addr as Deno.NetAddr).port;
  const answered = (async () => {
    for (let i = 0; i < 2; i++) {
      const [data, from] = await peer.receive();
      await peer.send(new Uint8Array([...new TextEncoder().encode("re:"), ...data]), from);
    }
  })();
  const dump = await tcpdump(`${dir}/real.pcap`, port);
  await using shell = new Shell();
  await shell.execute(`log start ${dir}/sockit.pcap --format pcap`);
  await shell.execute(`open udp u 127.0.0.1:${port}`);
  await shell.execute('send u "one"');
  assert.equal(decoder.decode(as(await shell.execute("recv u"), "data").data), "re:one");
  await shell.execute('send u "\\x00two\\xff"');
  as(await shell.execute("recv u"), "data");
  await answered;
  await shell.execute("close u");
  await shell.execute("log stop");
  peer.close();
  const payloads = (file: string) => fields(file, "udp", "udp.length", "data.data");
  const expected = ["11\t6f6e65", "14\t72653a6f6e65", "13\t0074776fff", "16\t72653a0074776fff"];
  assert.deepEqual(await payloads(`${dir}/sockit.pcap`), expected);
  await assertNoExpertErrors(`${dir}/sockit.pcap`);
  await dump.stop(async () => (await payloads(`${dir}/real.pcap`)).length === 4);
  assert.deepEqual(await payloads(`${dir}/real.pcap`), expected);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a half-close is logged as our FIN, then the peer's answer and its FIN", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-pcap-" });
  // A peer that reads to end of stream, then answers with what it counted and closes.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    let total = 0;
    const buf = new Uint8Array(1024);
    for (let n; (n = await conn.read(buf)) !== null;) total += n;
    await conn.write(new TextEncoder().encode(`got ${total}\n`));
    conn.close();
  })();
  const dump = await tcpdump(`${dir}/real.pcap`, listener.addr.port);
  await using shell = new Shell();
  await shell.execute(`log start ${dir}/sockit.pcap`);
  await shell.execute(`open tcp a 127.0.0.1:${listener.addr.port}`);
  await shell.execute('send a "abc"');
  await shell.execute("shutdown a");
  assert.equal(decoder.decode(as(await shell.execute("recvline a"), "data").data), "got 3\n");
  await served;
  await eventually(() => shell.registry.get("a", "ls").info().state === "closed", "peer FIN");
  await shell.execute("close a");
  await shell.execute("log stop");
  listener.close();
  const file = `${dir}/sockit.pcap`;
  const flags = await fields(file, "tcp", "tcp.srcport", "tcp.flags.fin", "tcp.len");
  const ours = String(listener.addr.port);
  const finFromUs = flags.findIndex((l) => /^\d+\t1\t/.test(l) && !l.startsWith(ours));
  const answer = flags.findIndex((l) => l.startsWith(ours) && !l.endsWith("\t0"));
  const finFromPeer = flags.findIndex((l) => l.startsWith(`${ours}\t1`));
  assert(finFromUs >= 0 && finFromUs < answer && answer < finFromPeer, flags.join("\n"));
  assert.deepEqual(await followed(file), {
    client: "616263",
    server: hex(Uint8Array.from("got 3\n", (c) => c.charCodeAt(0))),
  });
  await assertNoExpertErrors(file);
  await dump.stop(async () => (await followed(`${dir}/real.pcap`)).server !== "");
  assert.deepEqual(await followed(`${dir}/real.pcap`), await followed(file));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a connection the peer resets is logged with an RST from the peer after its bytes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-pcap-" });
  // Python closes with SO_LINGER 0: the kernel sends RST instead of FIN.
  const peer = new Deno.Command("python3", {
    args: [
      "-c",
      `
import socket, struct, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.recv(100)
c.sendall(b"bye\\n")
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
`,
    ],
    stdout: "piped",
  }).spawn();
  const lines = peer.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const port = Number((await lines.read()).value);
  const dump = await tcpdump(`${dir}/real.pcap`, port);
  await using shell = new Shell();
  await shell.execute(`log start ${dir}/sockit.pcap`);
  await shell.execute(`open tcp a 127.0.0.1:${port}`);
  await shell.execute('send a "hi"');
  await peer.status;
  lines.releaseLock();
  await peer.stdout.cancel().catch(() => {});
  await eventually(() => shell.registry.get("a", "ls").info().state !== "open", "the reset");
  await shell.execute("close a");
  await shell.execute("log stop");
  const file = `${dir}/sockit.pcap`;
  const resets = await fields(file, "tcp.flags.reset == 1", "tcp.srcport");
  assert.deepEqual(resets, [String(port)]);
  assert.deepEqual(await followed(file), { client: "6869", server: "6279650a" });
  await assertNoExpertErrors(file);
  await dump.stop(async () =>
    (await fields(`${dir}/real.pcap`, "tcp.flags.reset == 1", "frame.number")).length > 0
  );
  assert.deepEqual(await followed(`${dir}/real.pcap`), await followed(file));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a connection between two of the shell's own sockets is written as sent, unread bytes included", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-pcap-" });
  await using shell = new Shell();
  const file = `${dir}/own.pcap`;
  await shell.execute(`log start ${file}`);
  const srv = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket");
  await shell.execute(`open tcp c ${srv.info.local}`);
  await shell.execute("accept srv");
  // 6 MiB: more than srv.1 reads ahead (4 MiB), so part of it is still unread at log stop.
  const big = new Uint8Array(6 * 1024 * 1024).map((_, i) => (i * 13) & 0xff);
  let done = false;
  const written = (shell.registry.get("c", "send") as StreamSocket).write(big).then(() => {
    done = true;
  });
  await eventually(() => done, "the 6 MiB send to complete", 20_000);
  await written;
  await shell.execute('send srv.1 "ok\\n"');
  assert.equal(decoder.decode(as(await shell.execute("recvline c"), "data").data), "ok\n");
  await shell.execute("log stop");
  const { client, server } = await followed(file);
  assert.equal(client.length, big.length * 2, "every byte c sent, read or not");
  assert(client === hex(big), "c's bytes in order");
  assert.equal(server, hex(new TextEncoder().encode("ok\n")));
  await assertNoExpertErrors(file);
  await Deno.remove(dir, { recursive: true });
});
