/**
 * 5,000 concurrent clients. Echo: every client connects (all stay connected), sends one line
 * and waits for it to come back — against sockit's echo server, the Python tutorial
 * `selectors` server and a minimal Deno echo loop. Chat: 5,000 clients join sockit's chat room
 * (every join is announced to everyone already there: 12.5 million notices), then 10 of them
 * say one line each, which every other member must receive. Each server runs in its own
 * process; its peak memory is its VmHWM.
 *
 *   deno run -A bench/many_clients.ts [CLIENTS]
 *
 * @module
 */
import {
  bounded,
  connectMany,
  fmt,
  scanLines,
  type ServerProcess,
  startProcess,
  table,
  writeAll,
} from "./_util.ts";

const CLIENTS = Number(Deno.args[0] ?? 5000);
const LIMIT_MS = 120_000;
const enc = new TextEncoder();

interface Row {
  server: string;
  ok: number;
  expected: number;
  connectMs: number;
  totalMs: number;
  peak: number;
}

async function echoRun(server: ServerProcess): Promise<Row> {
  const start = performance.now();
  const conns = await connectMany(server.port, CLIENTS);
  const connected = performance.now();
  let ok = 0;
  await bounded(
    Promise.all(conns.map(async (conn, i) => {
      const message = enc.encode(`hello from client ${i}\n`);
      await writeAll(conn, message);
      const buf = new Uint8Array(64);
      let got = 0;
      while (got < message.length) {
        const n = await conn.read(buf.subarray(got));
        if (n === null) return;
        got += n;
      }
      if (buf.subarray(0, got).every((b, k) => b === message[k])) ok++;
    })),
    LIMIT_MS,
    server.name,
  );
  const done = performance.now();
  const peak = server.peakMiB();
  for (const c of conns) c.close();
  return {
    server: server.name,
    ok,
    expected: CLIENTS,
    connectMs: connected - start,
    totalMs: done - start,
    peak,
  };
}

async function chatRun(server: ServerProcess, senders = 10): Promise<Row> {
  const start = performance.now();
  const conns = await connectMany(server.port, CLIENTS);
  const connected = performance.now();
  // Join: nickname, then wait for the welcome. Joined members count chat lines ("uN: …").
  let welcomed = 0;
  let allWelcomed = () => {};
  const everyone = new Promise<void>((r) => allWelcomed = r);
  let delivered = 0;
  const readers = conns.map((conn, i) => {
    let mine = 0;
    const want = i < senders ? senders - 1 : senders;
    return scanLines(conn, (head) => {
      if (head === "* w" && ++welcomed === CLIENTS) allWelcomed();
      else if (head[0] === "u") {
        delivered++;
        return ++mine === want;
      }
      return false;
    });
  });
  await Promise.all(conns.map((c, i) => writeAll(c, enc.encode(`u${i}\n`))));
  await bounded(everyone, LIMIT_MS, `${server.name} joins`);
  for (let i = 0; i < senders; i++) await writeAll(conns[i], enc.encode(`hello from ${i}\n`));
  await bounded(Promise.all(readers), LIMIT_MS, `${server.name} delivery`);
  const done = performance.now();
  const peak = server.peakMiB();
  for (const c of conns) c.close();
  return {
    server: `${server.name} (${senders} senders)`,
    ok: delivered,
    expected: senders * (CLIENTS - 1),
    connectMs: connected - start,
    totalMs: done - start,
    peak,
  };
}

const rows: Row[] = [];
for (const kind of ["sockit-echo", "sockit-echo-deno", "deno-minimal-echo", "python-selectors"]) {
  const server = await startProcess(kind);
  rows.push(await echoRun(server));
  await server.stop();
}
{
  const server = await startProcess("sockit-chat");
  rows.push(await chatRun(server));
  await server.stop();
}

console.log(`${CLIENTS} concurrent clients (500 connects in flight at a time)`);
table([
  ["server", "answered/delivered", "connect all (s)", "wall time (s)", "server peak RSS (MiB)"],
  ...rows.map((r) => [
    r.server,
    `${r.ok}/${r.expected}`,
    fmt(r.connectMs / 1000, 2),
    fmt(r.totalMs / 1000, 2),
    fmt(r.peak, 1),
  ]),
]);
const wall = (name: string) => rows.find((r) => r.server === name)!.totalMs;
console.log(
  `  sockit echo wall time: ${fmt(wall("sockit-echo") / wall("deno-minimal-echo"), 2)}x ` +
    `the minimal Deno loop, ${fmt(wall("python-selectors") / wall("sockit-echo"), 1)}x faster ` +
    `than the Python selectors server`,
);
console.log(`  load average at the end: ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
