/**
 * Shell start-up: time from launch to the first `sockit>` prompt on a pseudo-terminal (via
 * util-linux `script`), beside `deno run` of an empty file (the runtime's own floor), in one run.
 *
 *   deno task bench startup
 */
import { median, sockitArgv } from "./_util.ts";

const ROUNDS = 10;

async function toPrompt(argv: string[], marker: string | null): Promise<number> {
  const command = argv.map((a) => `'${a}'`).join(" ");
  const start = performance.now();
  const child = new Deno.Command("script", {
    args: ["-qfec", command, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1", XDG_STATE_HOME: Deno.makeTempDirSync() },
  }).spawn();
  const decoder = new TextDecoder();
  let seen = "";
  let at = 0;
  for await (const chunk of child.stdout) {
    seen += decoder.decode(chunk);
    if (marker !== null && seen.includes(marker)) {
      at = performance.now() - start;
      break;
    }
  }
  if (marker === null) at = performance.now() - start;
  try {
    child.kill("SIGKILL");
  } catch { /* already gone */ }
  await child.stdin.close().catch(() => {});
  await child.status;
  return at;
}

const empty = await Deno.makeTempFile({ suffix: ".ts" });
const floor: number[] = [];
const shell: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  floor.push(await toPrompt([Deno.execPath(), "run", empty], null));
  shell.push(await toPrompt(sockitArgv([]), "sockit> "));
}
await Deno.remove(empty);
const f = median(floor);
const s = median(shell);
console.log(`deno run empty.ts   ${f.toFixed(0)} ms (median of ${ROUNDS})`);
console.log(`sockit to prompt    ${s.toFixed(0)} ms (median of ${ROUNDS}; target < 100 ms)`);
console.log(`ratio sockit/empty: ${(s / f).toFixed(2)}`);
