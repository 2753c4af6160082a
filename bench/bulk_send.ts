/**
 * Bulk transfer: `send a @file` of 1 GiB through the shell, side by side with socat (default
 * buffers) sending the same file to the same sink, in one run. Prints throughput and the ratio.
 *
 *   deno task bench bulk            (SOCKIT_BENCH_MIB=256 for a quicker run)
 */
import { median, payloadFile, sink, sockitArgv, timed } from "./_util.ts";

const MIB = Number(Deno.env.get("SOCKIT_BENCH_MIB") ?? 1024);
const ROUNDS = Number(Deno.env.get("SOCKIT_BENCH_ROUNDS") ?? 3);

const dir = await Deno.makeTempDir({ prefix: "sockit-bench-" });
const file = `${dir}/payload.bin`;
await payloadFile(file, MIB);
const bytes = MIB * 1024 * 1024;
const peer = sink();

async function measure(label: string, argv: string[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const received = peer.next();
    const seconds = await timed(argv);
    const n = await received;
    if (n !== bytes) throw new Error(`${label}: sink got ${n} bytes, expected ${bytes}`);
    times.push(seconds);
  }
  const t = median(times);
  const rate = bytes / t / 1e9;
  console.log(
    `${label.padEnd(8)} ${MIB} MiB in ${t.toFixed(3)} s (median of ${ROUNDS}) = ${
      rate.toFixed(2)
    } GB/s`,
  );
  return rate;
}

try {
  const socat = await measure("socat", [
    "socat",
    "-u",
    `OPEN:${file}`,
    `TCP:127.0.0.1:${peer.port}`,
  ]);
  const sockit = await measure(
    "sockit",
    sockitArgv(["-c", `open tcp a 127.0.0.1:${peer.port}; send a @${file}; close a`]),
  );
  console.log(
    `ratio sockit/socat throughput: ${(sockit / socat).toFixed(2)} (≥ 1.00 is the target)`,
  );
} finally {
  await peer.close();
  await Deno.remove(dir, { recursive: true });
}
