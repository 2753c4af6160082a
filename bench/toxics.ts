/**
 * What toxics cost a relay: the same 64 MiB, one way, from a Deno sender through an in-process
 * relay to a Deno sink, in one run — a plain relay (Deno accept, no stages: the fast path), a
 * relay with an empty toxic set (what the shell's `relay` is: `node:net` accept, so a
 * `reset_peer` can send RST, and one stage per direction), and with `latency 1ms` and with
 * `slicer --size 16384`. Prints MiB/s and the ratio to the plain relay (median of rounds).
 *
 *   deno task bench toxics      (SOCKIT_BENCH_MIB=16 for a quicker run)
 */
import { startRelay } from "../sockets/relay.ts";
import { parseToxic } from "../sockets/toxics/parse.ts";
import { ToxicSet } from "../sockets/toxics/toxics.ts";
import { fmt, median, sink, table, writeAll } from "./_util.ts";

const MIB = Number(Deno.env.get("SOCKIT_BENCH_MIB") ?? 64);
const ROUNDS = Number(Deno.env.get("SOCKIT_BENCH_ROUNDS") ?? 3);

const chunk = new Uint8Array(256 * 1024);
const target = sink();

async function through(toxics: string[] | undefined): Promise<number> {
  let set: ToxicSet | undefined;
  if (toxics) {
    set = new ToxicSet();
    for (const t of toxics) set.add(parseToxic(t, "bench"), "bench");
  }
  await using relay = await startRelay("bench", "127.0.0.1:0", `tcp:127.0.0.1:${target.port}`, {
    toxics: set,
  });
  const t0 = performance.now();
  const received = target.next();
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: (relay.addr as Deno.NetAddr).port,
  });
  for (let i = 0; i < MIB * 4; i++) await writeAll(conn, chunk);
  await conn.closeWrite();
  const n = await received;
  conn.close();
  if (n !== MIB * 1024 * 1024) throw new Error(`sink got ${n} bytes`);
  return MIB / ((performance.now() - t0) / 1000);
}

const cases: [string, string[] | undefined][] = [
  ["plain relay (no toxic set)", undefined],
  ["empty toxic set (the shell's relay)", []],
  ["latency 1ms", ["latency 1ms"]],
  ["slicer --size 16384", ["slicer --size 16384"]],
];
const rates = new Map<string, number[]>(cases.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, toxics] of cases) rates.get(name)!.push(await through(toxics));
}
const base = median(rates.get(cases[0][0])!);
console.log(`${MIB} MiB one way through an in-process relay, median of ${ROUNDS} rounds:`);
table([
  ["relay", "MiB/s", "vs plain"],
  ...cases.map(([name]) => {
    const r = median(rates.get(name)!);
    return [name, fmt(r, 0), `${fmt(r / base, 2)}×`];
  }),
]);
await target.close();
