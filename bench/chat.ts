/**
 * Chat room fan-out: 1,000 clients join, then each sends 10 lines (10 writes); every line must
 * reach the 999 others (9,990,000 deliveries). sockit's chat room beside `ncat --chat`, each in
 * its own process, the same Deno client for both. Reports deliveries, time and peak memory.
 *
 *   deno run -A bench/chat.ts [CLIENTS] [LINES]
 *
 * sockit's members join with a nickname line and wait for `* welcome`; ncat has no nicknames,
 * so its clients wait for ncat's first announcement instead. Lines counted are the chat lines
 * only, never the join/leave notices: `uN: …` for sockit; for ncat every line but its
 * `<announce>` lines, since ncat tags only the first line of each chunk it relays with
 * `<userN> ` (ten lines that arrive in one read go out as one tagged line and nine bare ones).
 *
 * @module
 */
import {
  bounded,
  connectMany,
  fmt,
  scanLines,
  type ServerProcess,
  startProcess,
  table,
  writeAll,
} from "./_util.ts";

const CLIENTS = Number(Deno.args[0] ?? 1000);
const LINES = Number(Deno.args[1] ?? 10);
const LIMIT_MS = Number(Deno.env.get("LIMIT_MS") ?? 120_000);
const enc = new TextEncoder();

interface Row {
  server: string;
  delivered: number;
  joinMs: number;
  sendMs: number;
  peak: number;
}

async function run(server: ServerProcess, sockit: boolean): Promise<Row> {
  const start = performance.now();
  const conns = await connectMany(server.port, CLIENTS, sockit ? 500 : 10);
  let ready = 0;
  let allReady = () => {};
  const everyone = new Promise<void>((r) => allReady = r);
  let delivered = 0;
  const want = (CLIENTS - 1) * LINES;
  const readers = conns.map((conn) => {
    let mine = 0;
    let first = true;
    return scanLines(conn, (head) => {
      // The first line each client sees tells it it is in the room.
      if (first && (sockit ? head === "* w" : head === "<an")) {
        first = false;
        if (++ready === CLIENTS) allReady();
        return false;
      }
      if (sockit ? head[0] === "u" : head !== "<an") {
        delivered++;
        return ++mine === want;
      }
      return false;
    });
  });
  if (sockit) await Promise.all(conns.map((c, i) => writeAll(c, enc.encode(`u${i}\n`))));
  await bounded(everyone, LIMIT_MS, `${server.name} joins`);
  const joined = performance.now();
  await Promise.all(conns.map(async (c, i) => {
    for (let k = 0; k < LINES; k++) await writeAll(c, enc.encode(`line ${k} from ${i}\n`));
  }));
  await bounded(Promise.all(readers), LIMIT_MS, `${server.name} delivery`);
  const done = performance.now();
  const peak = server.peakMiB();
  for (const c of conns) c.close();
  return { server: server.name, delivered, joinMs: joined - start, sendMs: done - joined, peak };
}

const rows: Row[] = [];
for (const kind of ["sockit-chat", "ncat-chat"]) {
  const server = await startProcess(kind);
  try {
    rows.push(await run(server, kind === "sockit-chat"));
  } catch (error) {
    // ncat 7.93 stops accepting (connects time out) somewhere below 1,000 clients.
    console.log(`  ${kind} failed: ${(error as Error).name}: ${(error as Error).message}`);
    rows.push({ server: `${kind} (failed)`, delivered: 0, joinMs: NaN, sendMs: NaN, peak: NaN });
  }
  await server.stop();
}
const expected = CLIENTS * (CLIENTS - 1) * LINES;
console.log(`chat: ${CLIENTS} clients x ${LINES} lines, ${expected} deliveries expected`);
table([
  ["server", "delivered", "connect+join (s)", "send+deliver (s)", "lines/s", "peak RSS (MiB)"],
  ...rows.map((r) => [
    r.server,
    `${r.delivered}/${expected}`,
    fmt(r.joinMs / 1000, 2),
    fmt(r.sendMs / 1000, 2),
    fmt(r.delivered / (r.sendMs / 1000), 0),
    fmt(r.peak, 1),
  ]),
]);
const [s, n] = rows;
if (n.delivered) {
  console.log(`  sockit delivers ${fmt(n.sendMs / s.sendMs, 1)}x faster than ncat --chat`);
}
console.log(`  load average at the end: ${Deno.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
