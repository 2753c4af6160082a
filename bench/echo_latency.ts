/**
 * Echo round-trip latency: 20,000 sequential 1-byte messages on one connection, the same Deno
 * client against sockit's echo server (as shipped: the native loop with 50 µs of busy polling;
 * the native loop with polling off; the `Deno.listen` server it falls back to without
 * `--allow-ffi`), a minimal Deno read/write echo loop and the Python tutorial echo server, each
 * in its own process. Rounds alternate between servers, so load
 * from other processes hits all of them alike; the best and the median round are reported.
 *
 *   deno run -A bench/echo_latency.ts [MESSAGES] [ROUNDS]
 *
 * @module
 */
import { fmt, median, startProcess, table } from "./_util.ts";

const MESSAGES = Number(Deno.args[0] ?? 20_000);
const ROUNDS = Number(Deno.args[1] ?? 7);
const SERVERS = [
  "sockit-echo",
  "sockit-echo-no-poll",
  "sockit-echo-deno",
  "deno-minimal-echo",
  "python-echo",
];

async function roundTrips(port: number, n: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const out = new Uint8Array([0x61]);
  const buf = new Uint8Array(16);
  const once = async () => {
    await conn.write(out);
    if ((await conn.read(buf)) !== 1) throw new Error("short echo");
  };
  for (let i = 0; i < 1000; i++) await once(); // warm up
  const start = performance.now();
  for (let i = 0; i < n; i++) await once();
  const elapsed = performance.now() - start;
  conn.close();
  return (elapsed * 1000) / n; // µs per round trip
}

const servers = [];
for (const kind of SERVERS) servers.push(await startProcess(kind));
const results = new Map<string, number[]>(SERVERS.map((s) => [s, []]));
const cpu = new Map<string, number[]>(SERVERS.map((s) => [s, []]));
const started = performance.now();
for (let round = 0; round < ROUNDS && performance.now() - started < 120_000; round++) {
  for (const s of servers) {
    const before = s.cpuMs();
    results.get(s.name)!.push(await roundTrips(s.port, MESSAGES));
    cpu.get(s.name)!.push(((s.cpuMs() - before) * 1000) / (MESSAGES + 1000));
  }
}
// What busy polling costs when nobody talks: CPU time over a second with no traffic.
const idleBefore = servers.map((s) => s.cpuMs());
await new Promise((r) => setTimeout(r, 1000));
const idle = servers.map((s, i) => s.cpuMs() - idleBefore[i]);
for (const s of servers) await s.stop();

const best = (xs: number[]) => Math.min(...xs);
const base = results.get("deno-minimal-echo")!;
const python = results.get("python-echo")!;
const rounds = results.get(SERVERS[0])!.length;
console.log(`echo round trips: ${MESSAGES} sequential 1-byte messages, ${rounds} rounds each`);
table([
  [
    "server",
    "best µs/rt",
    "median µs/rt",
    "median vs minimal",
    "median vs Python",
    "server CPU µs/rt",
    "idle CPU ms/s",
    "rounds (µs)",
  ],
  ...SERVERS.map((name, i) => {
    const xs = results.get(name)!;
    return [
      name,
      fmt(best(xs)),
      fmt(median(xs)),
      `${fmt(median(xs) / median(base), 3)}x`,
      `${fmt(median(xs) / median(python), 3)}x`,
      fmt(median(cpu.get(name)!)),
      String(idle[i]),
      xs.map((x) => fmt(x)).join(" "),
    ];
  }),
]);
console.log(`  load average at the end: ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
