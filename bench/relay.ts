/**
 * The relay: 256 MiB one way through `sockit relay` (TCP) and through
 * `socat TCP-LISTEN:…,fork,reuseaddr TCP:…`, the same file sent by the same sender (socat with
 * 1 MiB buffers) to the same Deno sink, in one run: wall time from the sender's start to the
 * sink's end of stream, and the relay process's peak RSS; then 1,000 concurrent connections
 * through each relay to a minimal Deno echo server, each sending a line and reading it back.
 *
 *   deno task bench relay      (SOCKIT_BENCH_MIB=64 for a quicker run)
 */
import {
  connectMany,
  fmt,
  freePort,
  median,
  sink,
  sockitArgv,
  startProcess,
  table,
} from "./_util.ts";

const MIB = Number(Deno.env.get("SOCKIT_BENCH_MIB") ?? 256);
const ROUNDS = Number(Deno.env.get("SOCKIT_BENCH_ROUNDS") ?? 3);
const CLIENTS = Number(Deno.env.get("SOCKIT_BENCH_CLIENTS") ?? 1000);

/** A relay in its own process (under a raised `ulimit -n`), listening on `port`. */
interface RelayProcess {
  pid: number;
  peakMiB(): number;
  stop(): Promise<void>;
}

async function startRelayProcess(argv: string[], port: number): Promise<RelayProcess> {
  const line = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = new Deno.Command("bash", {
    args: ["-c", `ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); exec ${line}`],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  // Bounded wait until it listens, read from /proc/net/tcp: a probe connection would be
  // forwarded to the sink and counted there.
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const listening = new RegExp(`^\\s*\\d+: 0100007F:${hex} 00000000:0000 0A `, "m");
  for (let tries = 0; !listening.test(Deno.readTextFileSync("/proc/net/tcp")); tries++) {
    if (tries > 500) throw new Error(`${argv[0]} never listened on ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    pid: child.pid,
    peakMiB() {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
    },
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    },
  };
}

const dir = await Deno.makeTempDir({ prefix: "sockit-bench-" });
const file = `${dir}/payload.bin`;
{
  using f = await Deno.open(file, { write: true, create: true });
  const block = new Uint8Array(1024 * 1024);
  for (let i = 0; i < block.length; i += 65536) {
    crypto.getRandomValues(block.subarray(i, i + 65536));
  }
  for (let i = 0; i < MIB; i++) await f.write(block);
}
const bytes = MIB * 1024 * 1024;
const peer = sink();
const echo = await startProcess("deno-minimal-echo");

/** Seconds from the sender's start until the sink has every byte, median of ROUNDS. */
async function bulk(port: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const received = peer.next();
    const start = performance.now();
    const out = await new Deno.Command("socat", {
      args: ["-u", "-b", "1048576", `OPEN:${file}`, `TCP:127.0.0.1:${port}`],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`sender failed: ${new TextDecoder().decode(out.stderr)}`);
    const n = await received;
    times.push((performance.now() - start) / 1000);
    if (n !== bytes) throw new Error(`sink got ${n} bytes, expected ${bytes}`);
  }
  return median(times);
}

/** CLIENTS connections at once, each sending a line and reading it back: seconds, delivered. */
async function concurrent(port: number): Promise<{ seconds: number; delivered: number }> {
  const start = performance.now();
  const conns = await connectMany(port, CLIENTS);
  let delivered = 0;
  await Promise.all(conns.map(async (conn, i) => {
    const line = new TextEncoder().encode(`hello from client ${i}\n`);
    await conn.write(line);
    const buf = new Uint8Array(64);
    let got = 0;
    while (got < line.length) {
      const n = await conn.read(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    if (got === line.length && buf.subarray(0, got).every((b, j) => b === line[j])) delivered++;
  }));
  const seconds = (performance.now() - start) / 1000;
  for (const c of conns) c.close();
  return { seconds, delivered };
}

interface Figures {
  seconds: number;
  peak: number;
  many: { seconds: number; delivered: number };
  manyPeak: number;
}

async function measure(label: string, argv: (port: number, to: number) => string[]) {
  const figures = {} as Figures;
  {
    const port = freePort();
    const relay = await startRelayProcess(argv(port, peer.port), port);
    try {
      figures.seconds = await bulk(port);
      figures.peak = relay.peakMiB();
    } finally {
      await relay.stop();
    }
  }
  {
    const port = freePort();
    const relay = await startRelayProcess(argv(port, echo.port), port);
    try {
      figures.many = await concurrent(port);
      figures.manyPeak = relay.peakMiB();
    } finally {
      await relay.stop();
    }
  }
  console.log(
    `${label.padEnd(6)} ${MIB} MiB in ${figures.seconds.toFixed(3)} s (median of ${ROUNDS}) = ${
      fmt(bytes / figures.seconds / 1e9, 2)
    } GB/s, peak RSS ${fmt(figures.peak)} MiB; ${CLIENTS} concurrent echoes: ` +
      `${figures.many.delivered} delivered in ${figures.many.seconds.toFixed(2)} s, peak RSS ${
        fmt(figures.manyPeak)
      } MiB`,
  );
  return figures;
}

try {
  console.log(`load average: ${Deno.loadavg().map((n) => n.toFixed(2)).join(" ")}`);
  const socat = await measure("socat", (port, to) => [
    "socat",
    `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr,backlog=4096`,
    `TCP:127.0.0.1:${to}`,
  ]);
  const sockit = await measure(
    "sockit",
    (port, to) => sockitArgv(["relay", `127.0.0.1:${port}`, `tcp:127.0.0.1:${to}`, "--quiet"]),
  );
  table([
    ["", "socat", "sockit", "target"],
    [
      `${MIB} MiB wall time`,
      `${socat.seconds.toFixed(3)} s`,
      `${sockit.seconds.toFixed(3)} s`,
      "sockit ≤ socat",
    ],
    ["peak RSS (bulk)", `${fmt(socat.peak)} MiB`, `${fmt(sockit.peak)} MiB`, "sockit < 100 MiB"],
    [
      `${CLIENTS} echoes delivered`,
      String(socat.many.delivered),
      String(sockit.many.delivered),
      `all ${CLIENTS}`,
    ],
  ]);
  console.log(
    `ratio sockit/socat wall time: ${(sockit.seconds / socat.seconds).toFixed(2)} ` +
      `(≤ 1.00 is the target)`,
  );
} finally {
  await echo.stop();
  await peer.close();
  await Deno.remove(dir, { recursive: true });
}
