/**
 * `--log FILE` on the subcommands that are not a shell: connect, listen, relay, serve,
 * record --proxy and mock, each against real peers (socat, ncat, redis-cli, curl, Python),
 * reading back the JSON Lines log's events and bytes; relay once more as pcap, through tshark.
 */
import assert from "node:assert/strict";
import { closedPort, sockit } from "./_helpers.ts";
import { startSockit } from "./_cli_process.ts";
import { acceptsOn, socatListening, spawnPeer } from "./_peers.ts";

const decoder = new TextDecoder();

interface Entry {
  socket: string;
  event: string;
  dir?: string;
  bytes?: string;
  role?: string;
  local?: string;
  remote?: string;
}

/** The log's records. */
async function entries(file: string): Promise<Entry[]> {
  const text = await Deno.readTextFile(file);
  return text.trim().split("\n").map((line) => JSON.parse(line));
}

/** Everything `socket` moved in direction `dir`, decoded. */
function moved(log: Entry[], socket: string, dir: "in" | "out"): string {
  const chunks = log.filter((e) => e.socket === socket && e.event === "data" && e.dir === dir);
  return chunks.map((e) => decoder.decode(Uint8Array.from(atob(e.bytes!), (c) => c.charCodeAt(0))))
    .join("");
}

/** The events of `socket`, in order, data included once per chunk. */
function events(log: Entry[], socket: string): string[] {
  return log.filter((e) => e.socket === socket).map((e) => e.dir ? `data ${e.dir}` : e.event);
}

/** Runs a program to completion; its stdout. */
async function run(program: string, args: string[], input?: string): Promise<string> {
  const child = new Deno.Command(program, {
    args,
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input));
    await w.close();
  }
  const out = await child.output();
  if (!out.success) throw new Error(`${program} failed: ${decoder.decode(out.stderr)}`);
  return decoder.decode(out.stdout);
}

/** A Python client: sends `text`, half-closes, returns everything until the server's end. */
function pythonClient(port: number, text: string): Promise<string> {
  return run("/usr/bin/python3", [
    "-c",
    `import socket,sys
s=socket.create_connection(("127.0.0.1",${port}))
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
out=b""
while True:
    b=s.recv(65536)
    if not b: break
    out+=b
sys.stdout.buffer.write(out)`,
  ], text);
}

/** A Redis server on a free port; `await using` stops it. */
async function redis() {
  const port = closedPort();
  const peer = spawnPeer("redis-server", [
    "--port",
    `${port}`,
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
  ]);
  await acceptsOn(port, "redis-server");
  return Object.assign(peer, { port });
}

Deno.test("sockit connect --log writes the connection's open, both directions, its half-close and its end", async () => {
  const dir = await Deno.makeTempDir();
  const { peer, port } = await socatListening(["TCP-LISTEN:0,bind=127.0.0.1", "EXEC:cat"]);
  await using _socat = peer;
  const r = await sockit(["connect", `127.0.0.1:${port}`, "--log", `${dir}/c.jsonl`], "hello\n");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "hello\n");
  const log = await entries(`${dir}/c.jsonl`);
  assert.equal(log[0].event, "open");
  assert.equal(log[0].role, "client");
  assert.equal(log[0].remote, `127.0.0.1:${port}`);
  assert.equal(moved(log, "conn", "out"), "hello\n");
  assert.equal(moved(log, "conn", "in"), "hello\n");
  const seen = events(log, "conn");
  assert.deepEqual([seen[0], seen.at(-2), seen.at(-1)], ["open", "peer-closed", "closed"]);
  assert(seen.indexOf("shutdown") > seen.indexOf("data out"), seen.join(", "));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sockit listen --log names the accepted connection #1 and holds what ncat and sockit said", async () => {
  const dir = await Deno.makeTempDir();
  await using listen = startSockit(["listen", "127.0.0.1:0", "--log", `${dir}/l.jsonl`]);
  const m = await listen.waitFor(/listening on tcp 127\.0\.0\.1:(\d+)/, "stderr");
  await listen.write("from sockit\n");
  const ncat = spawnPeer("ncat", ["127.0.0.1", m[1]]);
  await ncat.write("from ncat\n");
  await ncat.waitFor(/from sockit/);
  await listen.waitFor(/from ncat/);
  // Ctrl-C while the connection is open: the log is finished before sockit exits.
  listen.kill("SIGINT");
  assert.equal((await listen.exited()).code, 130);
  await ncat.exited();
  const log = await entries(`${dir}/l.jsonl`);
  assert.equal(log[0].socket, "#1");
  assert.equal(log[0].role, "accepted");
  assert.equal(moved(log, "#1", "in"), "from ncat\n");
  assert.equal(moved(log, "#1", "out"), "from sockit\n");
  await Deno.remove(dir, { recursive: true });
});

/** Starts `sockit relay 127.0.0.1:0 TARGET --log FILE`; resolves with it and its port. */
async function relay(target: number, file: string) {
  const proc = startSockit(["relay", "127.0.0.1:0", `127.0.0.1:${target}`, "--log", file]);
  const m = await proc.waitFor(/relay listening on tcp 127\.0\.0\.1:(\d+)/, "stderr");
  return { proc, port: m[1] };
}

Deno.test("sockit relay --log logs both sides of each connection, #1.client and #1.target, and finishes the file on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  await using server = await redis();
  const { proc, port } = await relay(server.port, `${dir}/r.jsonl`);
  await using _relay = proc;
  assert.equal((await run("redis-cli", ["-p", port, "PING"])).trim(), "PONG");
  await proc.waitFor(/#1 closed/, "stderr");
  proc.kill("SIGTERM");
  assert.equal((await proc.exited()).code, 143);
  const log = await entries(`${dir}/r.jsonl`);
  const ping = "*1\r\n$4\r\nPING\r\n";
  assert.equal(moved(log, "#1.client", "in"), ping);
  assert.equal(moved(log, "#1.target", "out"), ping);
  assert.equal(moved(log, "#1.target", "in"), "+PONG\r\n");
  assert.equal(moved(log, "#1.client", "out"), "+PONG\r\n");
  const target = log.find((e) => e.socket === "#1.target" && e.event === "open")!;
  assert.equal(target.remote, `127.0.0.1:${server.port}`);
  assert.equal(target.role, "client");
  assert.equal(events(log, "#1.client").at(-1), "closed");
  assert.equal(events(log, "#1.target").at(-1), "closed");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sockit relay --log to a .pcap file follows in tshark as two TCP streams with every byte", async () => {
  const dir = await Deno.makeTempDir();
  await using server = await redis();
  const { proc, port } = await relay(server.port, `${dir}/r.pcap`);
  await using _relay = proc;
  assert.equal(
    (await run("redis-cli", ["-p", port, "ECHO", "through the relay"])).trim(),
    "through the relay",
  );
  await proc.waitFor(/#1 closed/, "stderr");
  proc.kill("SIGINT");
  assert.equal((await proc.exited()).code, 130);
  const hex = (s: string) =>
    [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const asked = hex("*2\r\n$4\r\nECHO\r\n$17\r\nthrough the relay\r\n");
  const answer = hex("$17\r\nthrough the relay\r\n");
  for (const stream of [0, 1]) {
    const out = await run("tshark", ["-r", `${dir}/r.pcap`, "-qz", `follow,tcp,raw,${stream}`]);
    const lines = out.split("\n");
    const first = lines.filter((l) => /^[0-9a-f]+$/.test(l)).join("");
    const second = lines.filter((l) => /^\t[0-9a-f]+$/.test(l)).map((l) => l.slice(1)).join("");
    assert.equal(first, asked, `stream ${stream}: ${out}`);
    assert.equal(second, answer, `stream ${stream}: ${out}`);
  }
  const expert = await run("tshark", ["-r", `${dir}/r.pcap`, "-q", "-z", "expert"]);
  assert.doesNotMatch(expert, /^Errors \(/m, expert);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sockit serve --log logs every connection of the server as #1, #2, …", async () => {
  const dir = await Deno.makeTempDir();
  await using serve = startSockit([
    "serve",
    "echo",
    "tcp",
    "127.0.0.1:0",
    "--log",
    `${dir}/s.jsonl`,
  ]);
  const m = await serve.waitFor(/echo listening on tcp 127\.0\.0\.1:(\d+)/);
  assert.equal(await pythonClient(Number(m[1]), "one\n"), "one\n");
  assert.equal(await pythonClient(Number(m[1]), "two\n"), "two\n");
  await serve.waitFor(/#2 closed/);
  serve.kill("SIGINT");
  assert.equal((await serve.exited()).code, 130);
  const log = await entries(`${dir}/s.jsonl`);
  assert.equal(moved(log, "#1", "in"), "one\n");
  assert.equal(moved(log, "#1", "out"), "one\n");
  assert.equal(moved(log, "#2", "in"), "two\n");
  assert.equal(moved(log, "#2", "out"), "two\n");
  assert.deepEqual(events(log, "#1").slice(0, 2), ["open", "data in"]);
  assert.equal(log.find((e) => e.socket === "#2")!.role, "accepted");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sockit serve --log on UDP logs the server's socket, each datagram with its peer", async () => {
  const dir = await Deno.makeTempDir();
  await using serve = startSockit([
    "serve",
    "echo",
    "udp",
    "127.0.0.1:0",
    "--log",
    `${dir}/u.jsonl`,
  ]);
  const m = await serve.waitFor(/echo listening on udp 127\.0\.0\.1:(\d+)/);
  const answer = await run("/usr/bin/python3", [
    "-c",
    `import socket
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"ping",("127.0.0.1",${m[1]}))
print(s.recvfrom(100)[0].decode(), s.getsockname()[1])`,
  ]);
  const [echoed, clientPort] = answer.trim().split(" ");
  assert.equal(echoed, "ping");
  serve.kill("SIGINT");
  assert.equal((await serve.exited()).code, 130);
  const log = await entries(`${dir}/u.jsonl`);
  assert.deepEqual(events(log, "serve"), ["open", "data in", "data out", "closed"]);
  assert.equal(moved(log, "serve", "in"), "ping");
  assert.equal(moved(log, "serve", "out"), "ping");
  for (const e of log.filter((e) => e.event === "data")) {
    assert.equal((e as { peer?: string }).peer, `127.0.0.1:${clientPort}`);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sockit relay --log refuses a UDP relay, which it cannot log yet, in one line", async () => {
  const r = await sockit(["relay", "udp:127.0.0.1:0", "udp:127.0.0.1:9", "--log", "/dev/null"]);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stderr,
    /^error: Cannot relay udp:127\.0\.0\.1:0 --log: UDP relays are not logged yet/,
  );
});

Deno.test("sockit record --proxy --log and sockit mock --log log curl's HTTP exchanges, proxied then mocked", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/hello.txt`, "hello over http\n");
  const httpPort = closedPort();
  const script = `${dir}/http.sockit`;
  const curl = (port: string) =>
    run("curl", ["-s", "-H", "Host: sockit.test", `http://127.0.0.1:${port}/hello.txt`]);
  {
    await using _http = spawnPeer("/usr/bin/python3", [
      "-m",
      "http.server",
      `${httpPort}`,
      "--bind",
      "127.0.0.1",
      "--directory",
      dir,
    ]);
    await acceptsOn(httpPort, "python's http.server");
    await using proxy = startSockit([
      "record",
      "--proxy",
      "127.0.0.1:0",
      `127.0.0.1:${httpPort}`,
      script,
      "--log",
      `${dir}/p.jsonl`,
    ]);
    const m = await proxy.waitFor(/proxy listening on 127\.0\.0\.1:(\d+)/);
    assert.equal(await curl(m[1]), "hello over http\n");
    await proxy.waitFor(/c1: closed/, "stderr");
    proxy.kill("SIGINT");
    await proxy.exited();
  }
  const proxied = await entries(`${dir}/p.jsonl`);
  const request = moved(proxied, "#1.client", "in");
  assert.match(request, /^GET \/hello\.txt HTTP\/1\.1\r\n/);
  assert.equal(moved(proxied, "#1.target", "out"), request);
  assert.match(moved(proxied, "#1.target", "in"), /^HTTP\/1\.0 200 OK\r\n[^]*hello over http\n$/);
  assert.equal(moved(proxied, "#1.client", "out"), moved(proxied, "#1.target", "in"));

  await using mock = startSockit(["mock", script, "--log", `${dir}/m.jsonl`]);
  const m = await mock.waitFor(/mock listening on 127\.0\.0\.1:(\d+)/);
  assert.equal(await curl(m[1]), "hello over http\n");
  await mock.waitFor(/mock: connection 1/, "stderr");
  mock.kill("SIGTERM");
  await mock.exited();
  const mocked = await entries(`${dir}/m.jsonl`);
  const child = mocked.find((e) => e.event === "open" && e.role === "accepted")!.socket;
  assert.equal(moved(mocked, child, "in"), request);
  assert.match(moved(mocked, child, "out"), /hello over http\n$/);
  await Deno.remove(dir, { recursive: true });
});
