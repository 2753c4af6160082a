import fc from "fast-check";
import { strictEqual as equal } from "node:assert/strict";
import { attachRecorder, formatFailure, parseScript, replay, type Script, Shell } from "../mod.ts";
import { render } from "../grammar/render.ts";
import { echoPeer } from "./_helpers.ts";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** One exchange of a random session: bytes sent, and how the echo is read back. */
const exchange = fc.record({
  bytes: fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 16 }),
    fc.string({ minLength: 1, maxLength: 16 }).map((s) => new TextEncoder().encode(s)),
  ),
  read: fc.constantFrom("recv", "recvexact"),
});

/** Records a session against the echo peer: sends, then reads every echoed byte back. */
async function record(port: number, session: { bytes: Uint8Array; read: string }[]) {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  await using shell = new Shell();
  const recorder = attachRecorder(shell);
  await recorder.start(file);
  await shell.execute(`open tcp a 127.0.0.1:${port}`);
  for (const { bytes, read } of session) {
    await shell.execute(`send a hex:${hex(bytes)}`);
    if (read === "recvexact") await shell.execute(`recvexact a ${bytes.length}`);
    else {
      // recv returns what has arrived: possibly less than was sent, so read until all is back.
      let got = 0;
      while (got < bytes.length) {
        const r = await shell.execute(`recv a ${bytes.length - got}`);
        got += r.kind === "data" ? r.data.length : 0;
      }
    }
  }
  await shell.execute("close a");
  await recorder.stop();
  const text = await Deno.readTextFile(file);
  await Deno.remove(file);
  return text;
}

/** The script with one byte of one data observation changed. */
function corrupt(script: Script, stepIndex: number, byte: number, delta: number): string {
  const step = script.steps[stepIndex];
  if (step.expect?.kind !== "data" || !step.observed) throw new Error("not a data step");
  const bytes = step.expect.bytes.slice();
  bytes[byte] = (bytes[byte] + delta) & 0xff;
  const lines = [...script.lines];
  lines.splice(
    step.observed.from,
    step.observed.to - step.observed.from,
    ...render(bytes).split("\n").map((l) => `  ${l}`),
  );
  return lines.join("\n");
}

Deno.test("random sessions recorded against an echo peer replay green, and every single-byte corruption of an observation fails", async () => {
  await using peer = echoPeer();
  await fc.assert(
    fc.asyncProperty(
      fc.array(exchange, { minLength: 1, maxLength: 5 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      async (session, which, delta) => {
        const text = await record(peer.addr.port, session);
        const script = parseScript(text, "recorded.sockit");
        const clean = await replay(script, { timeout: 2000 });
        equal(clean.status, "passed", clean.failure && formatFailure(clean.failure) + "\n" + text);

        const dataSteps = script.steps.flatMap((s, i) => s.expect?.kind === "data" ? [i] : []);
        const stepIndex = dataSteps[which % dataSteps.length];
        const length = (script.steps[stepIndex].expect as { bytes: Uint8Array }).bytes.length;
        for (let byte = 0; byte < length; byte++) {
          const bad = parseScript(corrupt(script, stepIndex, byte, delta), "corrupted.sockit");
          const result = await replay(bad, { timeout: 2000 });
          equal(result.status, "failed", `byte ${byte} of step ${stepIndex} corrupted:\n${text}`);
          equal(result.failure!.line, script.steps[stepIndex].line);
        }
      },
    ),
    { numRuns: 30 },
  );
});
