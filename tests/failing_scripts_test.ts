/**
 * The failing fixtures in `scripts/_fixtures/failing/`: each `NAME.sockit` must fail with the
 * report in `NAME.report` (ports normalized). Set `SOCKIT_WRITE_REPORTS=1`
 * to rewrite the reports after a deliberate change, then review the diff.
 */
import { strictEqual as assertEquals } from "node:assert/strict";
import { formatFailure, replayFile } from "../mod.ts";

const DIR = new URL("../scripts/_fixtures/failing/", import.meta.url).pathname;

/** Makes a report comparable across runs: ports vary (Linux ephemeral ports all have 5 digits). */
function normalize(report: string): string {
  return report.replace(/127\.0\.0\.1:\d{5}\b/g, "127.0.0.1:PORT ") + "\n";
}

const fixtures = [...Deno.readDirSync(DIR)]
  .filter((e) => e.name.endsWith(".sockit"))
  .map((e) => e.name)
  .sort();

for (const name of fixtures) {
  Deno.test(`the failing fixture ${name} fails with the report in ${name.replace(".sockit", ".report")}`, async () => {
    const file = `scripts/_fixtures/failing/${name}`;
    const result = await replayFile(`${DIR}${name}`, { timeout: 2000 });
    assertEquals(result.status, "failed");
    const report = normalize(formatFailure({ ...result.failure!, file }));
    const expectedFile = `${DIR}${name.replace(".sockit", ".report")}`;
    if (Deno.env.get("SOCKIT_WRITE_REPORTS")) await Deno.writeTextFile(expectedFile, report);
    assertEquals(report, await Deno.readTextFile(expectedFile));
  });
}
