/**
 * Pipes: `sockit connect` sending 256 MiB from standard input (`cat FILE | …`) to a Deno sink,
 * beside `ncat` (Debian's `nc` is ncat here) and `socat -u - TCP:…` with the same file and sink;
 * and `sockit listen` writing 256 MiB it receives to standard output (a pipe the benchmark
 * reads), beside `ncat -l`. All in one run, rounds interleaved; prints throughput and ratios.
 *
 *   deno task bench pipes           (SOCKIT_BENCH_MIB=64 for a quicker run)
 */
import { freePort, median, sink, sockitArgv, timed, writeAll } from "./_util.ts";

const MIB = Number(Deno.env.get("SOCKIT_BENCH_MIB") ?? 256);
const ROUNDS = Number(Deno.env.get("SOCKIT_BENCH_ROUNDS") ?? 3);
const bytes = MIB * 1024 * 1024;

const dir = await Deno.makeTempDir({ prefix: "sockit-bench-" });
const file = `${dir}/payload.bin`;
const block = new Uint8Array(1024 * 1024);
{
  using f = await Deno.open(file, { write: true, create: true });
  const chunk = crypto.getRandomValues(new Uint8Array(64 * 1024));
  for (let i = 0; i < block.length; i += chunk.length) block.set(chunk, i);
  for (let i = 0; i < MIB; i++) await f.write(block);
}

const quote = (argv: string[]) => argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
const rate = (seconds: number) => bytes / seconds / 1e9;

/** Seconds to pipe the file through `argv` (its stdin) into the sink. */
async function sendThrough(peer: ReturnType<typeof sink>, argv: string[]): Promise<number> {
  const received = peer.next();
  const seconds = await timed(["bash", "-c", `cat '${file}' | ${quote(argv)}`]);
  const n = await received;
  if (n !== bytes) throw new Error(`${argv[0]}: the sink got ${n} bytes, expected ${bytes}`);
  return seconds;
}

/**
 * Seconds from connecting to `argv` (a listener on `port`, or one that says its port on
 * stderr) until it has written every byte it got to its stdout and exited.
 */
async function receiveThrough(argv: string[], port?: number): Promise<number> {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const errors = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (port === undefined) {
    const { value, done } = await errors.read();
    if (done) throw new Error(`${argv[0]} ended before saying its port: ${seen}`);
    seen += value;
    const m = /:(\d+)\s*$/m.exec(seen);
    if (m) port = Number(m[1]);
  }
  void (async () => {
    while (!(await errors.read()).done) { /* keep the pipe empty */ }
  })();
  const counted = (async () => {
    let total = 0;
    for await (const chunk of child.stdout) total += chunk.length;
    return total;
  })();
  let conn: Deno.TcpConn | undefined;
  for (let tries = 0; !conn; tries++) {
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
    } catch (error) {
      if (tries > 500) throw error;
      await new Promise((r) => setTimeout(r, 10)); // a peer that cannot say when it listens
    }
  }
  const start = performance.now();
  for (let i = 0; i < MIB; i++) await writeAll(conn, block);
  conn.close();
  const n = await counted;
  await child.status;
  const seconds = (performance.now() - start) / 1000;
  if (n !== bytes) throw new Error(`${argv[0]}: wrote ${n} bytes, expected ${bytes}`);
  return seconds;
}

function report(title: string, times: Map<string, number[]>, base: string): void {
  console.log(`${title} (${MIB} MiB, median of ${ROUNDS}):`);
  const ours = median(times.get("sockit")!);
  for (const [label, ts] of times) {
    const t = median(ts);
    const ratio = label === "sockit"
      ? ""
      : `   sockit/${label} throughput ${(t / ours).toFixed(2)}`;
    console.log(`  ${label.padEnd(7)} ${t.toFixed(3)} s = ${rate(t).toFixed(2)} GB/s${ratio}`);
  }
  console.log(`  (target: every ratio ≥ 1.00; ${base})`);
}

const peer = sink();
try {
  const send = new Map<string, number[]>([["sockit", []], ["ncat", []], ["socat", []]]);
  for (let i = 0; i < ROUNDS; i++) {
    send.get("sockit")!.push(
      await sendThrough(peer, sockitArgv(["connect", `127.0.0.1:${peer.port}`])),
    );
    send.get("ncat")!.push(await sendThrough(peer, ["ncat", "127.0.0.1", String(peer.port)]));
    send.get("socat")!.push(
      await sendThrough(peer, ["socat", "-u", "-", `TCP:127.0.0.1:${peer.port}`]),
    );
  }
  report("connect: cat FILE | … to a Deno sink", send, "whole commands, start-up included");

  const receive = new Map<string, number[]>([["sockit", []], ["ncat", []]]);
  for (let i = 0; i < ROUNDS; i++) {
    receive.get("sockit")!.push(await receiveThrough(sockitArgv(["listen", "127.0.0.1:0"])));
    const port = freePort();
    receive.get("ncat")!.push(
      await receiveThrough(["ncat", "-l", "--recv-only", "127.0.0.1", String(port)], port),
    );
  }
  report("listen: a Deno sender to … > pipe", receive, "from connect to exit");
} finally {
  await peer.close();
  await Deno.remove(dir, { recursive: true });
}
