/**
 * The fuzzers: generated hostile input fed to the line tokenizer and dispatcher
 * (`Shell.execute`) and to the script parser (`parseScript`). Each input must either succeed or
 * be rejected with a {@linkcode SockitError} whose message is one line (no CR or LF) of bounded
 * length; any other exception, or a command that does not settle, is a finding. The shell runs
 * under a replay's least-privilege policy (loopback only, files only in a fresh folder), with
 * 1 ms deadlines and every command cancelled after {@linkcode CANCEL_AFTER} ms.
 *
 * @example A small run of the parser fuzzer
 * ```ts
 * import assert from "node:assert/strict";
 * import { fuzzParser } from "./fuzz.ts";
 * const report = await fuzzParser({ runs: 50, seed: 7 });
 * assert.equal(report.runs, 50);
 * assert.deepEqual(report.findings, []);
 * ```
 *
 * @module
 */
import fc from "fast-check";
import { SockitError } from "../grammar/errors.ts";
import { Shell } from "../shell/shell.ts";
import { parseScript } from "../session/parse.ts";
import { replayPolicy } from "../session/policy.ts";
import { commandLine, scriptText } from "./inputs.ts";

/** Longest message a rejection may have. */
export const MAX_MESSAGE = 500;
/** Each command is cancelled after this many ms. */
export const CANCEL_AFTER = 20;
/** A command that has not settled this long after its cancel hangs (a finding). */
export const HANG_AFTER = 2000;

/** Fuzzer settings. */
export interface FuzzOptions {
  /** How many inputs (default 100 000). */
  runs?: number;
  /** The fast-check seed (default: random; the report says which). */
  seed?: number;
}

/** What a fuzzer run found. */
export interface FuzzReport {
  /** Inputs fed. */
  runs: number;
  /** Inputs rejected with a one-line SockitError. */
  rejected: number;
  /** The seed, to reproduce the run. */
  seed: number;
  /** Wall time in ms. */
  ms: number;
  /** Inputs that crashed, hung or were rejected badly, with why (at most 20). */
  findings: { input: string; problem: string }[];
}

/** Why a thrown value is not a proper rejection, or undefined when it is. */
export function badRejection(error: unknown): string | undefined {
  if (!(error instanceof SockitError)) {
    const e = error as Error;
    return `${e?.name ?? typeof error}: ${String(e?.message ?? error).slice(0, 200)}`;
  }
  if (/[\r\n]/.test(error.message)) {
    return `a message of several lines: ${JSON.stringify(error.message.slice(0, 200))}`;
  }
  if (error.message.length > MAX_MESSAGE) return `a message of ${error.message.length} characters`;
  return undefined;
}

function seedOf(options: FuzzOptions): number {
  return options.seed ?? Math.floor(Math.random() * 2 ** 31);
}

/** Feeds `runs` generated lines to one shell's `execute` (sockets closed every 100 inputs). */
export async function fuzzDispatcher(options: FuzzOptions = {}): Promise<FuzzReport> {
  const runs = options.runs ?? 100_000;
  const seed = seedOf(options);
  const dir = await Deno.makeTempDir({ prefix: "sockit-fuzz-" });
  const findings: FuzzReport["findings"] = [];
  let rejected = 0;
  let shell = makeShell(dir);
  const started = performance.now();
  const inputs = fc.sample(commandLine(dir), { numRuns: runs, seed });
  try {
    for (let i = 0; i < inputs.length; i++) {
      if (i % 100 === 99) {
        await shell.close();
        shell = makeShell(dir);
      }
      const line = inputs[i];
      const problem = await executeOne(shell, line);
      if (problem === "rejected") rejected++;
      else if (problem !== undefined && findings.length < 20) {
        findings.push({ input: line, problem });
      }
    }
  } finally {
    await shell.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return { runs: inputs.length, rejected, seed, ms: performance.now() - started, findings };
}

function makeShell(dir: string): Shell {
  return new Shell({ timeout: 1, policy: replayPolicy({ read: [dir], write: [dir] }) });
}

/** Runs one line: undefined when it succeeded, `rejected` for a proper rejection, else why not. */
async function executeOne(shell: Shell, line: string): Promise<string | undefined> {
  const signal = AbortSignal.timeout(CANCEL_AFTER);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`did not settle ${HANG_AFTER} ms after its cancel`),
      CANCEL_AFTER + HANG_AFTER,
    );
  });
  try {
    return await Promise.race([
      shell.execute(line, { signal }).then(
        () => undefined,
        (error) => badRejection(error) ?? "rejected",
      ),
      hang,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Feeds `runs` generated scripts to `parseScript`. */
export function fuzzParser(options: FuzzOptions = {}): Promise<FuzzReport> {
  const runs = options.runs ?? 100_000;
  const seed = seedOf(options);
  const findings: FuzzReport["findings"] = [];
  let rejected = 0;
  const started = performance.now();
  const inputs = fc.sample(scriptText("/nonexistent/fuzz"), { numRuns: runs, seed });
  for (const source of inputs) {
    try {
      parseScript(source, "fuzz.sockit");
    } catch (error) {
      const problem = badRejection(error);
      if (problem === undefined) rejected++;
      else if (findings.length < 20) findings.push({ input: source, problem });
    }
  }
  return Promise.resolve({
    runs: inputs.length,
    rejected,
    seed,
    ms: performance.now() - started,
    findings,
  });
}
