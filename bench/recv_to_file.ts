/**
 * Receiving to a file: `recvall a --to FILE` of 1 GiB through the shell, side by side with a
 * minimal Deno reader (`conn.read` into a reused 1 MiB buffer, `file.write`) writing the same
 * bytes to the same kind of file, in one run. The source is a separate process that writes the
 * bytes in 1 MiB writes and closes. Prints throughput, the ratio, and the shell's peak resident
 * memory growth (the buffer must not hold the transfer).
 *
 *   deno task bench recv_to_file      (SOCKIT_BENCH_MIB=256 for a quicker run)
 */
import { Shell } from "../shell/shell.ts";
import { median } from "./_util.ts";

const MIB = Number(Deno.env.get("SOCKIT_BENCH_MIB") ?? 1024);
const ROUNDS = Number(Deno.env.get("SOCKIT_BENCH_ROUNDS") ?? 3);
const bytes = MIB * 1024 * 1024;

// The source: every connection gets MIB MiB, then end of stream.
const source = new Deno.Command(Deno.execPath(), {
  args: [
    "eval",
    `const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
     console.log(l.addr.port);
     const block = new Uint8Array(1024 * 1024).fill(120);
     for await (const c of l) {
       (async () => {
         for (let i = 0; i < ${MIB}; i++) {
           for (let off = 0; off < block.length;) off += await c.write(block.subarray(off));
         }
         c.close();
       })();
     }`,
  ],
  stdout: "piped",
}).spawn();
const reader = source.stdout.pipeThrough(new TextDecoderStream()).getReader();
const port = Number((await reader.read()).value!.trim());
const address = `127.0.0.1:${port}`;
const dir = await Deno.makeTempDir({ prefix: "sockit-bench-" });
const file = `${dir}/received.bin`;

async function minimal(): Promise<number> {
  const t0 = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  using out = await Deno.open(file, { write: true, create: true, truncate: true });
  const buf = new Uint8Array(1024 * 1024);
  let total = 0;
  while (true) {
    const n = await conn.read(buf);
    if (n === null) break;
    for (let off = 0; off < n;) off += await out.write(buf.subarray(off, n));
    total += n;
  }
  conn.close();
  if (total !== bytes) throw new Error(`minimal reader got ${total} bytes, expected ${bytes}`);
  return (performance.now() - t0) / 1000;
}

let peak = 0;
async function sockit(): Promise<number> {
  await using shell = new Shell({ timeout: 600_000 });
  const rss = Deno.memoryUsage().rss;
  const t0 = performance.now();
  await shell.execute(`open tcp a ${address}`);
  const watch = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss - rss), 50);
  const result = await shell.execute(`recvall a --to ${file}`);
  clearInterval(watch);
  const seconds = (performance.now() - t0) / 1000;
  const text = result.kind === "message" ? result.text : "";
  if (!text.startsWith(`wrote ${bytes} bytes`)) throw new Error(`recvall said: ${text}`);
  return seconds;
}

const rows: [string, number[]][] = [["sockit", []], ["minimal", []]];
for (let i = 0; i < ROUNDS; i++) {
  // Alternate which goes first, so neither always meets the other's dirty pages.
  if (i % 2) rows[0][1].push(await sockit());
  rows[1][1].push(await minimal());
  if (i % 2 === 0) rows[0][1].push(await sockit());
}
const rates = rows.map(([label, times]) => {
  console.log(`${label}: ${times.map((t) => t.toFixed(2)).join(" ")} s`);
  const t = median(times);
  const rate = bytes / t / 1e9;
  console.log(
    `${label.padEnd(8)} ${MIB} MiB in ${t.toFixed(3)} s (median of ${ROUNDS}) = ${
      rate.toFixed(2)
    } GB/s`,
  );
  return rate;
});
console.log(
  `recvall --to / minimal Deno reader: ${(rates[0] / rates[1]).toFixed(2)}× (target ≥ 0.9×)`,
);
console.log(`sockit's resident memory grew by at most ${(peak / 2 ** 20).toFixed(0)} MiB`);
source.kill();
await source.status;
await Deno.remove(dir, { recursive: true });
