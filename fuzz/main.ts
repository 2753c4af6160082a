/**
 * `deno task fuzz [RUNS] [SEED]`: 100 000 generated inputs (or RUNS) each to the dispatcher and
 * to the script parser; prints counts, time and any findings; exits 1 if there are findings.
 *
 * @module
 */
import { fuzzDispatcher, fuzzParser, type FuzzReport } from "./fuzz.ts";

function print(what: string, r: FuzzReport): void {
  console.log(
    `${what}: ${r.runs} inputs, ${r.rejected} rejected with a one-line error, ` +
      `${r.findings.length} findings, ${(r.ms / 1000).toFixed(1)} s (seed ${r.seed})`,
  );
  for (const f of r.findings) console.log(`  ${JSON.stringify(f.input)}: ${f.problem}`);
}

if (import.meta.main) {
  const runs = Deno.args[0] ? Number(Deno.args[0]) : 100_000;
  const seed = Deno.args[1] ? Number(Deno.args[1]) : undefined;
  const parser = await fuzzParser({ runs, seed });
  print("parseScript", parser);
  const dispatcher = await fuzzDispatcher({ runs, seed });
  print("Shell.execute", dispatcher);
  Deno.exit(parser.findings.length + dispatcher.findings.length > 0 ? 1 : 0);
}
