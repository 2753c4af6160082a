/**
 * Where logging's cost comes from, without sockit around it: a plain Deno sender moves 256 MiB
 * to a sink in 256 KiB chunks and hands each chunk to a writer thread that saves it raw to
 * tmpfs, in the ways bench/_log_wakeups_sender.ts describes. Prints each median and the
 * slowdown against no writer, rounds interleaved. What it showed (README, Speed): waking a
 * sleeping writer thread for every batch costs most of the log's overhead, the writes
 * themselves little; a writer that polls shared memory while chunks flow costs almost nothing,
 * at the price of a core kept busy while it polls.
 *
 *   deno task bench log_wakeups      (SOCKIT_BENCH_ROUNDS=9 by default)
 *
 * @module
 */
import { median, payloadFile, sink } from "./_util.ts";

const MIB = 256;
const ROUNDS = Number(Deno.env.get("SOCKIT_BENCH_ROUNDS") ?? 9);
const MODES = ["none", "rotate", "posted", "spinning"];
const SENDER = new URL("./_log_wakeups_sender.ts", import.meta.url).pathname;

const dir = await Deno.makeTempDir({ prefix: "sockit-bench-wakeups-" });
let out: string;
try {
  out = `${await Deno.makeTempDir({ dir: "/dev/shm", prefix: "sockit-bench-wakeups-" })}/out.bin`;
} catch {
  out = `${dir}/out.bin`; // no tmpfs: the disk's share is then in every writer's figure
}
const file = `${dir}/payload.bin`;
await payloadFile(file, MIB);
const peer = sink();
const times: Record<string, number[]> = Object.fromEntries(MODES.map((m) => [m, []]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of MODES) {
      const received = peer.next();
      const start = performance.now();
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", SENDER, mode, String(peer.port), file, out],
        stderr: "piped",
      }).output();
      times[mode].push(performance.now() - start);
      if (!run.success) throw new Error(`${mode}: ${new TextDecoder().decode(run.stderr)}`);
      const n = await received;
      if (n !== MIB << 20) throw new Error(`${mode}: the sink got ${n} bytes`);
      if (mode === "posted" || mode === "spinning") {
        const size = (await Deno.stat(out)).size;
        if (size !== MIB << 20) throw new Error(`${mode}: the writer wrote ${size} bytes`);
      }
    }
  }
  const base = median(times.none);
  for (const mode of MODES) {
    const t = median(times[mode]);
    const ratio = mode === "none" ? "" : `, ${((t / base - 1) * 100).toFixed(1)}% slower`;
    console.log(
      `${mode.padEnd(9)} ${MIB} MiB in ${(t / 1000).toFixed(3)} s (median of ${ROUNDS})${ratio}`,
    );
  }
  console.log(
    "none: no writer; rotate: 64 buffers in turn, no writer; posted: a worker woken by " +
      "postMessage writes each turn's chunks; spinning: a worker polling shared memory writes them",
  );
} finally {
  await peer.close();
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(out.slice(0, out.lastIndexOf("/")), { recursive: true }).catch(() => {});
}
