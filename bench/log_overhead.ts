/**
 * What logging costs a bulk transfer: `send a @file` of 256 MiB through the shell to a sink,
 * with no log, with `--log` JSON Lines and with `--log` pcap, in one run, rounds interleaved.
 * Prints each median wall time (the whole sockit process) and the slowdown against no log;
 * the target is at most 10%. The logs are written to the temporary directory (a disk) and, where
 * /dev/shm exists, to tmpfs as well, which shows logging's own cost without the disk's. Beside
 * them, the floor: the unlogged transfer while `dd` writes the same 256 MiB to the same file
 * system, which is what saving the bytes costs this machine before any formatting. Each row
 * also shows the whole machine's busy CPU time during the run (every core, every process, from
 * /proc/stat) against what its cores could give in that time: where the run without a log
 * already leaves less spare time than writing the log's bytes takes, no log can stay within 10%.
 * Two more rows show what a log writer's thread costs before any of a log's work
 * (bench/_sockit_beside.ts): the unlogged transfer with an idle Worker in the process, and with
 * a Worker that copies the payload to tmpfs by itself, one synchronous read and write per MiB,
 * no message per chunk. No log that a Worker writes can be cheaper than these two.
 *
 *   deno task bench log_overhead      (SOCKIT_BENCH_MIB=64 for a quicker run)
 */
import { median, payloadFile, sink, sockitArgv, timed } from "./_util.ts";

const MIB = Number(Deno.env.get("SOCKIT_BENCH_MIB") ?? 256);
const ROUNDS = Number(Deno.env.get("SOCKIT_BENCH_ROUNDS") ?? 5);

const dir = await Deno.makeTempDir({ prefix: "sockit-bench-log-" });
const file = `${dir}/payload.bin`;
await payloadFile(file, MIB);
const bytes = MIB * 1024 * 1024;
const peer = sink();

// The logs go to the temporary directory's disk and, where there is one, to tmpfs (/dev/shm):
// the first is what a user gets, the second what logging costs without the disk's share.
let shm: string | undefined;
try {
  shm = await Deno.makeTempDir({ dir: "/dev/shm", prefix: "sockit-bench-log-" });
} catch { /* no tmpfs */ }

/**
 * A run: sockit's extra arguments, or (`beside`) no log while `dd` writes a copy of the payload
 * to that file, started as the transfer starts: the floor any log on that file system pays, the
 * cost of writing the bytes once with nothing else done to them.
 */
interface Run {
  args: string[];
  beside?: string;
  /** Run through bench/_sockit_beside.ts with a Worker beside: idle, or copying to this file. */
  worker?: { mode: "idle" | "copy"; out: string };
  times: number[];
  /** The machine's busy CPU seconds during each run (all cores), where /proc/stat exists. */
  cpu: number[];
  logSize?: number;
}
/** A row with nothing measured yet. */
const row = (args: string[], beside?: string): Run => ({ args, beside, times: [], cpu: [] });
const runs: Record<string, Run> = {
  "no log": row([]),
  "dd beside": row([], `${dir}/floor.bin`),
  "jsonl": row(["--log", `${dir}/run.jsonl`]),
  "pcap": row(["--log", `${dir}/run.pcap`]),
};
runs["idle Worker"] = { ...row([]), worker: { mode: "idle", out: "-" } };
if (shm) {
  runs["Worker copy, tmpfs"] = { ...row([]), worker: { mode: "copy", out: `${shm}/copy.bin` } };
  runs["dd beside, tmpfs"] = row([], `${shm}/floor.bin`);
  runs["jsonl, tmpfs"] = row(["--log", `${shm}/run.jsonl`]);
  runs["pcap, tmpfs"] = row(["--log", `${shm}/run.pcap`]);
}

/** Busy CPU seconds of the whole machine so far (every core, user and system), or NaN. */
function machineBusy(): number {
  try {
    const [, ...ticks] = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/)
      .map(Number);
    // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
    const busy = ticks.slice(0, 8).reduce((a, b) => a + b, 0) - ticks[3] - ticks[4];
    return busy / 100; // USER_HZ
  } catch {
    return NaN;
  }
}
const CORES = navigator.hardwareConcurrency;
const BESIDE = new URL("./_sockit_beside.ts", import.meta.url).pathname;

/** `dd` copying the payload to `out` once the sink has its connection; settles when written. */
async function ddBeside(out: string): Promise<void> {
  await peer.accepted();
  const dd = await new Deno.Command("dd", {
    args: [`if=${file}`, `of=${out}`, "bs=1M", "status=none"],
  }).output();
  if (!dd.success) throw new Error(`dd: ${new TextDecoder().decode(dd.stderr)}`);
}

try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, run] of Object.entries(runs)) {
      const received = peer.next();
      // --allow-all for every run: Deno asks for it to write under /dev (tmpfs).
      const argv = sockitArgv([
        ...run.args,
        "-c",
        `open tcp a 127.0.0.1:${peer.port}; send a @${file}; close a`,
      ]).filter((a) => !a.startsWith("--allow-")).toSpliced(2, 0, "--allow-all");
      if (run.worker) {
        const main = argv.findIndex((a) => a.endsWith("/main.ts"));
        argv.splice(main, 1, BESIDE, run.worker.mode, file, run.worker.out, "--");
      }
      const start = performance.now();
      const busy0 = machineBusy();
      const copy = run.beside ? ddBeside(run.beside) : undefined;
      await timed(argv);
      await copy;
      run.times.push((performance.now() - start) / 1000);
      run.cpu.push(machineBusy() - busy0);
      const n = await received;
      if (n !== bytes) throw new Error(`${label}: sink got ${n} bytes, expected ${bytes}`);
      const copied = run.worker?.mode === "copy" ? run.worker.out : undefined;
      const written = run.beside ?? run.args[1] ?? copied;
      if (written) {
        run.logSize = (await Deno.stat(written)).size;
        await Deno.remove(written);
      }
    }
  }
  const base = median(runs["no log"].times);
  for (const [label, run] of Object.entries(runs)) {
    const t = median(run.times);
    const size = run.logSize === undefined
      ? ""
      : `, log ${(run.logSize / 1024 / 1024).toFixed(0)} MiB`;
    const ratio = label === "no log" ? "" : `, ${((t / base - 1) * 100).toFixed(1)}% slower`;
    const floor = runs[label.endsWith("tmpfs") ? "dd beside, tmpfs" : "dd beside"];
    const over = run.beside || !run.args.length
      ? ""
      : ` (${((t / median(floor.times) - 1) * 100).toFixed(1)}% over dd beside)`;
    const cpu = median(run.cpu);
    const busy = Number.isNaN(cpu) ? "" : `, CPU ${cpu.toFixed(2)} of ${(t * CORES).toFixed(2)} s`;
    console.log(
      `${label.padEnd(18)} ${MIB} MiB in ${t.toFixed(3)} s (median of ${ROUNDS})${size}${ratio}` +
        over + busy,
    );
  }
  console.log(
    "target: each log at most 10% slower than no log; " +
      "dd beside: no log while dd writes the payload's bytes to the same file system; " +
      "idle Worker / Worker copy: no log, a Worker in the process idle / copying the payload; " +
      `CPU: busy seconds of all ${CORES} cores against ${CORES} × the run's time`,
  );
} finally {
  await peer.close();
  await Deno.remove(dir, { recursive: true });
  if (shm) await Deno.remove(shm, { recursive: true });
}
