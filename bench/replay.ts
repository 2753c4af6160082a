/**
 * Replay speed: scripts per second, and the per-command overhead of replaying a recorded
 * script compared with issuing the same commands directly through `Shell.execute`.
 *
 *   deno run --allow-net --allow-read --allow-write bench/replay.ts [EXCHANGES] [ROUNDS]
 *
 * @module
 */
import { parseScript, replay, Shell } from "../mod.ts";
import { median } from "./_util.ts";

const exchanges = Number(Deno.args[0] ?? 50);
const rounds = Number(Deno.args[1] ?? 40);

/** A script: a listener, a client, then EXCHANGES request/response pairs (4 commands each). */
function script(): string {
  const lines = [
    "listen tcp srv :0",
    "  srv  listening  tcp ${srv.local}",
    "open tcp a ${srv.local}",
    "  a  open  tcp ${a.local} → ${srv.local}",
    "accept srv",
    "  srv.1  accepted  tcp ${srv.local} → ${a.local}",
  ];
  for (let i = 0; i < exchanges; i++) {
    lines.push(
      `sendline a ping ${i}`,
      `  sent ${`ping ${i}`.length + 1} bytes to a`,
      "recvline srv.1",
      `  "ping ${i}\\n"`,
      `send srv.1 "pong ${i}"`,
      `  sent ${`pong ${i}`.length} bytes to srv.1`,
      "recv a",
      `  "pong ${i}"`,
    );
  }
  lines.push("close a srv.1", "  closed a, srv.1");
  return lines.join("\n") + "\n";
}

const source = script();
const parsed = parseScript(source, "bench.sockit");
const commands = parsed.steps.length;

/** The same commands, straight through Shell.execute (variables filled in by hand). */
async function direct(): Promise<void> {
  await using shell = new Shell();
  for (const step of parsed.steps) {
    const line = step.command.replaceAll(
      "${srv.local}",
      () => shell.registry.get("srv", "x").info().local,
    );
    await shell.execute(line);
  }
}

async function replayed(): Promise<void> {
  const result = await replay(parseScript(source, "bench.sockit"));
  if (result.status !== "passed") throw new Error(JSON.stringify(result.failure));
}

/**
 * The median time of each function, in ms. Rounds alternate between the functions, so a
 * machine that slows down (another job, a CPU clock change) slows both alike.
 */
async function timed(...fns: (() => Promise<unknown>)[]): Promise<number[]> {
  for (const fn of fns) for (let i = 0; i < 5; i++) await fn(); // warm up
  const times = fns.map(() => [] as number[]);
  for (let i = 0; i < rounds; i++) {
    for (const [k, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      times[k].push(performance.now() - t0);
    }
  }
  return times.map(median);
}

const [directMs, replayMs, parseMs, parsedMs] = await timed(
  direct,
  replayed,
  () => Promise.resolve(parseScript(source, "bench.sockit")),
  () => replay(parsed),
);

const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
console.log(`replay bench: ${commands} commands per script, median of ${rounds} rounds`);
console.log(
  `  direct Shell.execute   ${directMs.toFixed(2)} ms/script  ${us(directMs / commands)}/command`,
);
console.log(
  `  parse + replay         ${replayMs.toFixed(2)} ms/script  ${us(replayMs / commands)}/command  ${
    (1000 / replayMs).toFixed(0)
  } scripts/s`,
);
console.log(
  `  of which parse         ${parseMs.toFixed(2)} ms/script  ${us(parseMs / commands)}/command`,
);
console.log(
  `  replay, parsed once    ${parsedMs.toFixed(2)} ms/script  ${us(parsedMs / commands)}/command  ${
    us((parsedMs - directMs) / commands)
  }/command over direct`,
);
console.log(
  `  replay overhead        ${us((replayMs - directMs) / commands)}/command, ratio ${
    (replayMs / directMs).toFixed(2)
  }x`,
);
