/**
 * Connection churn: many connect/drop cycles against `listen tcp`, `serve echo tcp` and
 * `serve chat tcp` in one shell, with the process's descriptors and resident memory before and
 * after, the bytes an echo client did not get back, and how long the next command took.
 * `deno task bench churn` runs it (10,000 cycles each; `deno run -A bench/churn.ts N` for N);
 * `tests/faults_test.ts` runs {@link churn} with fewer cycles.
 *
 * @module
 */
import { Shell } from "../shell/shell.ts";

/** What one churn run measured. */
export interface ChurnFigures {
  /** The command that started the server. */
  server: string;
  cycles: number;
  /** Open descriptors of this process (`/proc/self/fd`) once the server listened. */
  fdsBefore: number;
  /** Open descriptors once every cycle's connection was gone on both sides. */
  fdsAfter: number;
  /** Resident memory once the server listened, MiB. */
  rssBeforeMiB: number;
  /** Resident memory after the cycles, MiB. */
  rssAfterMiB: number;
  /** Rows `ls` shows afterwards. */
  lsRows: number;
  /** Bytes echo clients sent that did not come back (echo only; must be 0). */
  bytesLost: number;
  /** Milliseconds `ls` took afterwards. */
  nextCommandMs: number;
}

/**
 * Open descriptors of this process (`/proc/self/fd`). Deno lets only `--allow-all` read /proc
 * directly; elsewhere (`deno task test`) `ls` lists it, and the pipes to `ls` count the same
 * in every measurement, so differences stay true.
 */
export function openDescriptors(): number {
  try {
    let n = 0;
    for (const _ of Deno.readDirSync("/proc/self/fd")) n++;
    return n;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
  }
  const out = new Deno.Command("ls", { args: [`/proc/${Deno.pid}/fd`], stderr: "null" })
    .outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean).length;
}

function rssMiB(): number {
  return Deno.memoryUsage().rss / 1024 / 1024;
}

const encoder = new TextEncoder();

/** One client: connects, says `hello` (and for echo reads it back), drops. Returns bytes lost. */
async function cycle(port: number, hello: Uint8Array | undefined, echoed: boolean) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    if (!hello) return 0;
    await conn.write(hello);
    if (!echoed) return 0;
    const got = new Uint8Array(hello.length);
    let have = 0;
    while (have < got.length) {
      const n = await conn.read(got.subarray(have));
      if (n === null) break;
      have += n;
    }
    return hello.length - have;
  } finally {
    conn.close();
  }
}

/**
 * Starts `server` (`listen tcp srv :0`, `serve echo tcp srv :0`, …, named `srv`) in `shell`,
 * runs `cycles` connect/drop cycles, `parallel` at a time, and waits (up to `waitMs`) until the
 * process holds no more descriptors than before; the server stays open for the caller to check.
 */
export async function churn(
  shell: Shell,
  server: string,
  cycles: number,
  options: { parallel?: number; waitMs?: number } = {},
): Promise<ChurnFigures> {
  const started = await shell.execute(server);
  if (started.kind !== "socket") throw new Error(`${server}: ${JSON.stringify(started)}`);
  const port = Number(started.info.local.split(":").pop());
  const hello = server.startsWith("serve echo")
    ? encoder.encode("ping\n")
    : server.startsWith("serve chat")
    ? encoder.encode("churner\n")
    : undefined;
  const echoed = server.startsWith("serve echo");
  const fdsBefore = openDescriptors();
  const rssBeforeMiB = rssMiB();
  const parallel = options.parallel ?? 32;
  let next = 0;
  let bytesLost = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < cycles) {
      next++;
      bytesLost += await cycle(port, hello, echoed);
    }
  }));
  const until = Date.now() + (options.waitMs ?? 10_000);
  let fdsAfter = openDescriptors();
  while (fdsAfter > fdsBefore + 2 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 10));
    fdsAfter = openDescriptors();
  }
  const t0 = performance.now();
  const listed = await shell.execute("ls");
  const nextCommandMs = performance.now() - t0;
  return {
    server,
    cycles,
    fdsBefore,
    fdsAfter,
    rssBeforeMiB,
    rssAfterMiB: rssMiB(),
    lsRows: listed.kind === "table" ? listed.rows.length : -1,
    bytesLost,
    nextCommandMs,
  };
}

if (import.meta.main) {
  const cycles = Number(Deno.args[0] ?? 10_000);
  console.log(`load average: ${Deno.loadavg().map((n) => n.toFixed(2)).join(" ")}`);
  console.log(
    "| server | cycles | fds before → after | RSS MiB before → after | ls rows | bytes lost | next ls |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const server of ["listen tcp srv :0", "serve echo tcp srv :0", "serve chat tcp srv :0"]) {
    await using shell = new Shell({ timeout: 5000 });
    const f = await churn(shell, server, cycles, { waitMs: 30_000 });
    console.log(
      `| \`${f.server}\` | ${f.cycles} | ${f.fdsBefore} → ${f.fdsAfter} | ` +
        `${f.rssBeforeMiB.toFixed(1)} → ${f.rssAfterMiB.toFixed(1)} | ${f.lsRows} | ` +
        `${f.bytesLost} | ${f.nextCommandMs.toFixed(1)} ms |`,
    );
  }
}
