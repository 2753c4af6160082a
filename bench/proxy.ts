/**
 * The recording proxy: 256 MiB through `sockit record --proxy` and through socat's relay
 * (`socat TCP-LISTEN:…,fork TCP:…`) in the same run, client → server (an upload the proxy
 * records into a side file) and server → client (a download it records as `recv` steps). Prints
 * wall time, throughput and the relay's peak RSS, and the ratios.
 *
 *   deno task bench proxy           (SOCKIT_BENCH_MIB=64 for a quicker run)
 *
 * @module
 */
import { fmt, freePort, sink, sockitArgv, table } from "./_util.ts";

const MIB = Number(Deno.env.get("SOCKIT_BENCH_MIB") ?? 256);
const BYTES = MIB * 1024 * 1024;
const block = crypto.getRandomValues(new Uint8Array(64 * 1024));
const chunk = new Uint8Array(1024 * 1024);
for (let i = 0; i < chunk.length; i += block.length) chunk.set(block, i);

/** A server that writes BYTES to each connection, then closes it. */
function source() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const loop = (async () => {
    for await (const conn of listener) {
      try {
        for (let sent = 0; sent < BYTES; sent += chunk.length) await writeAll(conn, chunk);
      } finally {
        conn.close();
      }
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await loop;
    },
  };
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

function peakMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function connectWhenUp(port: number): Promise<Deno.Conn> {
  const until = Date.now() + 20_000;
  while (true) {
    try {
      return await Deno.connect({ hostname: "127.0.0.1", port });
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Starts a relay from a free port to `target`; the caller stops it. */
function relay(kind: "socat" | "sockit", port: number, target: number, file: string) {
  const argv = kind === "socat"
    ? ["socat", `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `TCP:127.0.0.1:${target}`]
    : sockitArgv(["record", "--proxy", `127.0.0.1:${port}`, `127.0.0.1:${target}`, file]);
  return new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "null",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function run(kind: "socat" | "sockit", direction: "upload" | "download", dir: string) {
  const up = direction === "upload";
  const peer = up ? sink() : source();
  const port = freePort();
  const child = relay(kind, port, peer.port, `${dir}/${direction}.sockit`);
  try {
    const conn = await connectWhenUp(port);
    const started = performance.now();
    let moved = 0;
    if (up) {
      const received = (peer as ReturnType<typeof sink>).next();
      for (let sent = 0; sent < BYTES; sent += chunk.length) await writeAll(conn, chunk);
      await conn.closeWrite();
      moved = await received;
      conn.close();
    } else {
      const buf = new Uint8Array(1024 * 1024);
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        moved += n;
      }
      conn.close();
    }
    const seconds = (performance.now() - started) / 1000;
    if (moved !== BYTES) throw new Error(`${kind} ${direction}: ${moved} bytes, expected ${BYTES}`);
    return { seconds, rss: peakMiB(child.pid) };
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await peer.close();
  }
}

const dir = await Deno.makeTempDir({ prefix: "sockit-bench-proxy-" });
try {
  const ratios: string[] = [];
  const rows = [["relay", "direction", "MiB", "seconds", "MB/s", "peak RSS MiB"]];
  for (const direction of ["upload", "download"] as const) {
    const socat = await run("socat", direction, dir);
    const sockit = await run("sockit", direction, dir);
    for (const [label, r] of [["socat", socat], ["sockit record --proxy", sockit]] as const) {
      rows.push([
        label,
        direction,
        String(MIB),
        r.seconds.toFixed(2),
        fmt(BYTES / r.seconds / 1e6, 0),
        fmt(r.rss, 0),
      ]);
    }
    ratios.push(
      `ratio sockit/socat speed, ${direction}: ${(socat.seconds / sockit.seconds).toFixed(2)} ` +
        `(≥ 0.50 is the target), sockit peak RSS ${fmt(sockit.rss, 0)} MiB (< 150 is the target)`,
    );
  }
  table(rows);
  for (const line of ratios) console.log(line);
  const files = [...Deno.readDirSync(dir)].map((e) =>
    `${e.name} ${Deno.statSync(`${dir}/${e.name}`).size}`
  );
  console.log(`recordings: ${files.join(", ")}`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
