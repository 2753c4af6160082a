/**
 * Replay: runs a parsed script in a fresh {@linkcode Shell} and compares what each command
 * observes with what the script says. Returns data ({@linkcode ScriptResult}); the reporter
 * turns it into text.
 *
 * Every command runs through the shell's dispatcher (`Shell.execute`), as typed. A command
 * that declares a replay mode (`script.expects`: `recv`, `recvfrom`) is given what its
 * observation holds and reads exactly that, failing at the first differing byte: on a stream a
 * `recv` observation is a claim about the next bytes (on a framed socket, one message), not
 * about read boundaries. Every wait has a deadline, and a hard cap per command cancels anything
 * that still waits.
 *
 * @example Replaying a script that starts its own peer
 * ```ts
 * import { parseScript } from "./parse.ts";
 * import { replay } from "./replay.ts";
 * import assert from "node:assert/strict";
 *
 * const script = parseScript([
 *   "listen tcp srv :0",
 *   "open tcp a ${srv.local}",
 *   'send a "hello " world',
 *   "recv srv.1",
 *   '  "hello world"',
 * ].join("\n"), "doc.sockit");
 * const result = await replay(script);
 * assert.equal(result.status, "passed");
 * ```
 *
 * @module
 */

import { parseToxicList, type ToxicSpec } from "../sockets/toxics/parse.ts";
import { ThroughRelays } from "./through.ts";
import { dirname, resolve } from "node:path";
import type { Result } from "../commands/result.ts";
import type { Command, Expected, Settings } from "../commands/types.ts";
import { ExpectedReadError } from "../commands/reading.ts";
import { PLAIN } from "../shell/colors.ts";
import { render } from "../grammar/render.ts";
import { renderResult } from "../shell/renderer.ts";
import { Shell, type ShellOptions } from "../shell/shell.ts";
import { socketCells } from "../commands/ls.ts";
import type { Expectation, Script, Step, Template } from "./format.ts";
import { matchTemplate, parseTemplate, substitute, UndefinedVariable } from "./template.ts";
import { lookupVariable, socketValues } from "./variables.ts";
import { checkPath, type Permissions, replayPolicy } from "./policy.ts";
import { claimedKind, errorMessage, latin1, sameBytes } from "./_private.ts";
import { byteRegex, matchedText } from "../grammar/byte_regex.ts";

/**
 * Replay settings; every field is optional and defaults in {@linkcode replaySettings}.
 *
 * @example Giving a replay its variables and a deadline
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { replay, type ReplayOptions } from "./replay.ts";
 * const script = parseScript("listen tcp srv ${where}\n", "x", { variables: ["where"] });
 * const options: ReplayOptions = { variables: { where: "127.0.0.1:0" }, timeout: 1000 };
 * assert.equal((await replay(script, options)).status, "passed");
 * ```
 */
export interface ReplayOptions {
  /** Default deadline of every wait (recv…, expect, accept, open), in ms. Default 5000. */
  timeout?: number;
  /** Hard cap on any one command, in ms, whatever it waits for. Default 60 000. */
  commandDeadline?: number;
  /**
   * Keep going after a mismatch and record what every command observed (for
   * `sockit test --update`); reads run as written.
   */
  update?: boolean;
  /** Extra commands for the shell (must match the ones the script was parsed with). */
  commands?: readonly Command[];
  /** Variables defined before the script starts. */
  variables?: Record<string, string>;
  /** Called around each step, e.g. to turn steps into `Deno.test` steps. */
  onStep?: (step: Step, outcome: StepOutcome) => void | Promise<void>;
  /** Stops the replay (cancels the command under way). */
  signal?: AbortSignal;
  /**
   * Fail a script that passed when bytes are still unread at its end (`sockit test --strict`);
   * by default they are a warning in {@linkcode ScriptResult.unread}.
   */
  strict?: boolean;
  /**
   * Deliver received bytes in reads of at most this many bytes (`sockit test --chunk N`), so a
   * script that passes only because of lucky segmentation fails. Default: as read.
   */
  chunk?: number;
  /** Delay each delivered chunk (or datagram) by this many ms (`sockit test --delay D`). */
  delay?: number;
  /**
   * Folders besides the script's own and `${tmp}` that the script may read (`--allow-read`);
   * see `policy.ts`.
   */
  allowRead?: string[];
  /** Folders besides the script's own and `${tmp}` that the script may write (`--allow-write`). */
  allowWrite?: string[];
  /** Hosts besides loopback the script may reach (`--allow-net`; `*` for any). */
  allowNet?: string[];
  /**
   * Toxics every tcp `open` goes through (`sockit test --through 'latency 50ms'`): each target
   * gets an in-process relay with them (see `through.ts`). Toxics as written, `;` between two.
   */
  through?: string;
}

/** Complete replay settings. */
export interface ReplaySettings {
  timeout: number;
  commandDeadline: number;
  update: boolean;
  commands: readonly Command[];
  variables: Record<string, string>;
  onStep?: ReplayOptions["onStep"];
  signal?: AbortSignal;
  strict: boolean;
  delivery?: ShellOptions["delivery"];
  allowRead: string[];
  allowWrite: string[];
  allowNet: string[];
  through?: ToxicSpec[];
}

/** Fills in every replay default: the one place options become settings. */
export function replaySettings(options: ReplayOptions = {}): ReplaySettings {
  return {
    timeout: options.timeout ?? 5000,
    commandDeadline: options.commandDeadline ?? 60_000,
    update: options.update ?? false,
    commands: options.commands ?? [],
    variables: options.variables ?? {},
    onStep: options.onStep,
    signal: options.signal,
    strict: options.strict ?? false,
    delivery: options.chunk || options.delay
      ? { chunk: options.chunk ?? 0, delay: options.delay ?? 0 }
      : undefined,
    allowRead: options.allowRead ?? [],
    allowWrite: options.allowWrite ?? [],
    allowNet: options.allowNet ?? [],
    through: options.through === undefined
      ? undefined
      : parseToxicList(options.through, "test --through"),
  };
}

/**
 * Why a step failed: everything a reporter shows.
 *
 * @example The first failure of a replay
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { type Failure, replay } from "./replay.ts";
 * const script = parseScript('listen tcp srv :0\nopen tcp a ${srv.local}\nsendline srv.1 hi\nrecv a\n  "ho\\n"\n', "x.sockit");
 * const failure: Failure | undefined = (await replay(script)).failure;
 * assert.equal(failure?.file, "x.sockit");
 * assert.equal(failure?.line, 4);
 * assert.deepEqual(failure?.expected, ['"ho\\n"']);
 * assert.deepEqual(failure?.actual, ['"hi\\n"']);
 * ```
 */
export interface Failure {
  /** The script file. */
  file: string;
  /** 1-based line of the command (0 when the file could not be read). */
  line: number;
  /** Set for syntax errors. */
  column?: number;
  /** The command as written (empty for a script that did not parse). */
  command: string;
  /** The command as run, after `${…}` substitution. */
  executed?: string;
  /** What went wrong, one line. */
  reason: string;
  /** How to fix it, when there is a hint. */
  hint?: string;
  /** The observation as written. */
  expected?: string[];
  /** What the command observed, rendered as it would be written. */
  actual?: string[];
  /** For data: the bytes, so a reporter can show a byte diff. */
  expectedBytes?: Uint8Array;
  /** The bytes that arrived instead. */
  actualBytes?: Uint8Array;
  /** The sockets when it failed (an `ls` table). */
  sockets?: { columns: string[]; rows: string[][] };
}

/**
 * What one step did.
 *
 * @example What each step did
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { replay, type StepOutcome } from "./replay.ts";
 * const result = await replay(parseScript("set display hex\nset display text\n"));
 * const steps: StepOutcome[] = result.steps;
 * assert.deepEqual(steps.map((s) => s.step.line), [1, 2]);
 * ```
 */
export interface StepOutcome {
  /** The step of the script. */
  step: Step;
  /** Whether it observed what the script says. */
  status: "passed" | "failed";
  /** What the command observed, as observation lines (`! message` for an error). */
  observed: string[];
  /** The command's result (undefined when it failed or was read directly from the stream). */
  result?: Result;
  /** The shell's settings after the step. */
  settings?: Settings;
  /** With `update`: addresses live after the step, for turning values back into variables. */
  values: [value: string, name: string][];
  /** Why it failed. */
  failure?: Failure;
  /** How long it took, in ms. */
  ms: number;
}

/**
 * The result of replaying one script.
 *
 * @example A replay's result
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { replay, type ScriptResult } from "./replay.ts";
 * const result: ScriptResult = await replay(parseScript("set display hex\n", "ok.sockit"));
 * assert.equal(result.file, "ok.sockit");
 * assert.equal(result.status, "passed");
 * assert.equal(result.failure, undefined);
 * ```
 */
export interface ScriptResult {
  /** The script file. */
  file: string;
  /** Passed when every step observed what the script says. */
  status: "passed" | "failed";
  /** Steps that ran, in order. */
  steps: StepOutcome[];
  /** The first failure. */
  failure?: Failure;
  /** Sockets with bytes nobody read when the script ended (a warning, or with `strict` a failure). */
  unread?: Unread[];
  /** How long the replay took, in ms. */
  ms: number;
}

/**
 * Bytes still unread on a socket when a script ends.
 *
 * @example Bytes a script left unread
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { replay, type Unread } from "./replay.ts";
 * const script = parseScript('listen tcp srv :0\nopen tcp a ${srv.local}\nsendline srv.1 hi\nsendline a hi\nrecv srv.1\n  "hi\\n"\n');
 * const result = await replay(script);
 * assert.equal(result.status, "passed");
 * const unread: Unread[] = result.unread ?? [];
 * assert.deepEqual(unread.map((u) => [u.socket, u.bytes]), [["a", 3]]);
 * ```
 */
export interface Unread {
  /** The socket's name. */
  socket: string;
  /** How many bytes it still holds. */
  bytes: number;
  /** The first bytes, rendered on one line (streams). */
  preview?: string;
}

/** A mismatch found while checking one step. */
class Mismatch extends Error {
  constructor(readonly detail: Omit<Failure, "file" | "line" | "command">) {
    super(detail.reason);
  }
}

/** Observation lines as written in the script, without indentation. */
export function writtenObservation(script: Script, step: Step): string[] {
  if (!step.observed) return [];
  return script.lines.slice(step.observed.from, step.observed.to)
    .filter((l) => l.trim() !== "" && !l.trim().startsWith("#"))
    .map((l) => l.trim());
}

/**
 * Replays a script in a fresh shell and returns what happened. Never throws for a failed step.
 *
 * @example A replay that sees other bytes fails at that step
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import { replay } from "./replay.ts";
 * const script = parseScript([
 *   "listen tcp srv :0",
 *   "open tcp a ${srv.local}",
 *   "sendline srv.1 hi",
 *   "recv a",
 *   '  "bye\\n"',
 * ].join("\n"), "demo.sockit");
 * const result = await replay(script);
 * assert.equal(result.status, "failed");
 * assert.equal(result.failure?.line, 4);
 * ```
 */
export async function replay(script: Script, options: ReplayOptions = {}): Promise<ScriptResult> {
  const settings = replaySettings(options);
  const started = performance.now();
  const steps: StepOutcome[] = [];
  let failure: Failure | undefined;
  // Declared before the shell, so it is removed after the shell closed its sockets.
  await using builtins = new Builtins(script.file);
  // Declared before the shell too: its relays close once the shell closed its sockets.
  await using through = settings.through
    ? new ThroughRelays(settings.through, settings.allowNet)
    : undefined;
  const own = [() => builtins.get("dir"), () => builtins.made];
  const readable = [...own, ...settings.allowRead, ...settings.allowWrite];
  await using shell = new Shell({
    timeout: settings.timeout,
    commands: settings.commands,
    delivery: settings.delivery,
    policy: replayPolicy({
      read: [...own, ...settings.allowRead],
      write: [...own, ...settings.allowWrite],
      net: settings.allowNet,
    }),
  });
  // The shell's variables are the script's: captures by expect and by observations alike.
  const captures = shell.variables;
  for (const [k, v] of Object.entries(settings.variables)) captures.set(k, v);
  const lookup = lookupVariable(shell.registry, captures, (name) => builtins.get(name));
  using watchdog = new Watchdog(settings.commandDeadline, settings.signal);
  for (const step of script.steps) {
    if (settings.signal?.aborted) break;
    const t0 = performance.now();
    const outcome = await runStep(
      shell,
      script,
      step,
      lookup,
      captures,
      settings,
      watchdog,
      readable,
      through,
    );
    outcome.ms = performance.now() - t0;
    steps.push(outcome);
    if (settings.onStep) await settings.onStep(step, outcome);
    if (outcome.failure) {
      failure ??= outcome.failure;
      if (!settings.update) break;
    }
    if (outcome.result?.kind === "quit" && outcome.status === "passed") break;
  }
  const unread = failure || settings.update ? [] : unreadBytes(shell);
  if (unread.length > 0 && settings.strict) {
    const last = steps.at(-1)?.step;
    failure = {
      file: script.file,
      line: last?.line ?? 0,
      command: last?.command ?? "",
      reason: `the script ended with bytes nobody read: ${describeUnread(unread)}`,
      hint: "read them (recv NAME), or leave out --strict to make this a warning",
      sockets: socketsTable(shell),
    };
  }
  return {
    file: script.file,
    status: failure ? "failed" : "passed",
    steps,
    failure,
    unread,
    ms: performance.now() - started,
  };
}

/** Open sockets that still hold received bytes (a bound udp socket's are its children's). */
function unreadBytes(shell: Shell): Unread[] {
  return shell.registry.all().flatMap((socket): Unread[] => {
    const info = socket.info();
    if (socket.closed || info.role === "listener" || info.role === "bound") return [];
    if (!(info.buffered > 0)) return [];
    // A stream's buffer can show its first bytes without consuming them; datagrams cannot.
    const buffer = (socket as { buffer?: { peek?: () => Uint8Array } }).buffer;
    const preview = typeof buffer?.peek === "function"
      ? render(buffer.peek().subarray(0, 32), "auto").split("\n")[0] +
        (info.buffered > 32 ? "…" : "")
      : undefined;
    return [{ socket: info.name, bytes: info.buffered, preview }];
  });
}

/** `5 bytes on a ("hello"), 2 bytes on u.1`. */
export function describeUnread(unread: Unread[]): string {
  return unread.map((u) => `${u.bytes} bytes on ${u.socket}${u.preview ? ` (${u.preview})` : ""}`)
    .join(", ");
}

/**
 * The hard cap on each command, without a timer per command: one timer for the whole replay,
 * re-armed only when it fires (so about once a minute), and one signal shared by the commands
 * until one is cancelled. Commands remove their abort listeners when they finish.
 */
class Watchdog implements Disposable {
  #cap: number;
  #outer?: AbortSignal;
  #controller = new AbortController();
  #deadline = Infinity;
  #timer?: ReturnType<typeof setTimeout>;
  #onOuter = () => this.#controller.abort();

  constructor(cap: number, outer?: AbortSignal) {
    this.#cap = cap;
    this.#outer = outer;
    outer?.addEventListener("abort", this.#onOuter, { once: true });
  }

  /** The signal for the next command, which is cancelled `cap` ms from now. */
  start(): AbortSignal {
    if (this.#controller.signal.aborted && !this.#outer?.aborted) {
      this.#controller = new AbortController();
    }
    this.#deadline = performance.now() + this.#cap;
    if (this.#timer === undefined) this.#arm(this.#cap);
    return this.#controller.signal;
  }

  /** The command finished. */
  stop(): void {
    this.#deadline = Infinity;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#deadline === Infinity) return;
      const left = this.#deadline - performance.now();
      if (left <= 0) this.#controller.abort();
      else this.#arm(left);
    }, ms);
  }

  [Symbol.dispose](): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#outer?.removeEventListener("abort", this.#onOuter);
  }
}

/** Parsed command lines, per step (a script replayed again reuses them). */
const commandTemplates = new WeakMap<Step, Template>();

function commandLine(step: Step, lookup: (name: string) => string | undefined): string {
  let template = step.template ?? commandTemplates.get(step);
  if (!template) {
    template = parseTemplate(step.command, false);
    commandTemplates.set(step, template);
  }
  const [only] = template.parts;
  if (template.parts.length === 0) return "";
  if (template.parts.length === 1 && only.kind === "text") return only.text;
  return substitute(template, lookup);
}

/** `${tmp}` (made on first use, removed at the end) and `${dir}` (the script's folder). */
class Builtins {
  #file: string;
  #tmp?: string;
  constructor(file: string) {
    this.#file = file;
  }
  /** The `${tmp}` folder, once made. */
  get made(): string | undefined {
    return this.#tmp;
  }
  get(name: string): string | undefined {
    if (name === "dir") return dirname(resolve(this.#file));
    if (name !== "tmp") return undefined;
    return this.#tmp ??= Deno.makeTempDirSync({ prefix: "sockit-" });
  }
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#tmp) await Deno.remove(this.#tmp, { recursive: true }).catch(() => {});
  }
}

function socketsTable(shell: Shell): Failure["sockets"] {
  const columns = ["name", "kind", "state", "local", "remote", "in", "out", "buffered"];
  const rows = shell.registry.all().map((s) => {
    const i = s.info();
    return [...socketCells(i), `${i.buffered}`];
  });
  return { columns, rows };
}

/** The rendered lines of a result, as an observation would hold them. */
function observedLines(shell: Shell, result: Result): string[] {
  const lines = renderResult(result, shell.settings, PLAIN).split("\n");
  // Received bytes (with a datagram's `from ADDR` and `(truncated)`) are shown whole.
  return result.kind === "data" ? lines : lines.filter((l) => l.trim() !== "");
}

async function runStep(
  shell: Shell,
  script: Script,
  step: Step,
  lookup: (name: string) => string | undefined,
  captures: Map<string, string>,
  settings: ReplaySettings,
  watchdog: Watchdog,
  read: Permissions["read"],
  through?: ThroughRelays,
): Promise<StepOutcome> {
  const outcome: StepOutcome = { step, status: "passed", observed: [], values: [], ms: 0 };
  let expect = step.expect;
  let executed: string | undefined;
  const signal = watchdog.start();
  try {
    expect = await fileBytes(expect, lookup, read);
    executed = commandLine(step, lookup);
    if (through) executed = await through.rewrite(executed);
    let result: Result;
    try {
      result = await shell.execute(executed, {
        signal,
        expect: replayMode(step, expect, settings),
      });
    } catch (error) {
      outcome.observed = [`! ${errorMessage(error)}`];
      if (error instanceof ExpectedReadError) throw expectedMismatch(error, outcome);
      if (expect?.kind !== "error") {
        throw new Mismatch({
          reason: errorMessage(error),
          hint: (error as { hint?: string }).hint,
        });
      }
      const got = matchTemplate(expect.template, errorMessage(error), lookup);
      if (!got) {
        throw new Mismatch({ reason: "the command failed differently" });
      }
      for (const [k, v] of got) captures.set(k, v);
      return outcome;
    }
    outcome.observed = observedLines(shell, result);
    outcome.result = result;
    checkResult(expect, result, outcome.observed, lookup, captures);
  } catch (error) {
    outcome.status = "failed";
    const detail = error instanceof Mismatch
      ? error.detail
      : error instanceof UndefinedVariable
      ? { reason: error.message, hint: "define it above: open/listen a socket, or capture it" }
      : { reason: errorMessage(error) };
    outcome.failure = {
      file: script.file,
      line: step.line,
      command: step.command,
      executed,
      expected: writtenObservation(script, step),
      actual: outcome.observed,
      sockets: socketsTable(shell),
      ...detail,
    };
  } finally {
    watchdog.stop();
    if (settings.update) {
      outcome.values = socketValues(shell.registry);
      outcome.settings = { ...shell.settings };
    }
  }
  return outcome;
}

/**
 * What a step's command is given in replay mode: the bytes (or regex) its observation holds,
 * when the command declares a replay mode and the observation is a plain claim about received
 * bytes (a datagram claimed truncated is read as written and compared after).
 */
function replayMode(
  step: Step,
  expect: Expectation | undefined,
  settings: ReplaySettings,
): Expected | undefined {
  if (settings.update || !step.call.command.script?.expects) return undefined;
  if (expect?.kind === "data" && !expect.truncated) return { bytes: expect.bytes };
  if (expect?.kind === "regex" && !expect.truncated) return { regex: expect.regex };
  return undefined;
}

/** An `@FILE` observation with the file's bytes read (the path checked like any the script names). */
async function fileBytes(
  expect: Expectation | undefined,
  lookup: (name: string) => string | undefined,
  read: Permissions["read"],
): Promise<Expectation | undefined> {
  if (expect?.kind !== "data" || !expect.file) return expect;
  const path = substitute(expect.file, lookup);
  checkPath("read the observation", path, "read", read ?? []);
  try {
    return { ...expect, bytes: await Deno.readFile(path) };
  } catch (error) {
    throw new Mismatch({
      reason: `Cannot read the observation "@${path}": ${errorMessage(error)}`,
    });
  }
}

/** A replayed read that did not receive what the script expects, as a failure to report. */
function expectedMismatch(error: ExpectedReadError, outcome: StepOutcome): Mismatch {
  const shown = error.actual.subarray(0, error.expected.length + 256);
  outcome.observed = shown.length ? render(shown).split("\n") : ["(nothing)"];
  if (error.from !== undefined) outcome.observed[0] = `from ${error.from} ${outcome.observed[0]}`;
  return new Mismatch({
    reason: error.code === "mismatch" ? "received different bytes" : error.message,
    actual: outcome.observed,
    expectedBytes: error.expected.length ? error.expected : undefined,
    actualBytes: shown,
  });
}

function checkData(expect: Expectation, data: Uint8Array, captures: Map<string, string>): void {
  if (expect.kind === "data") {
    if (!sameBytes(expect.bytes, data)) {
      throw new Mismatch({
        reason: "received different bytes",
        expectedBytes: expect.bytes,
        actualBytes: data,
      });
    }
    return;
  }
  if (expect.kind === "regex") {
    const whole = new RegExp(`^(?:${expect.regex.source})$`, expect.regex.flags);
    const m = byteRegex(whole).exec(latin1(data));
    if (!m) throw new Mismatch({ reason: `received bytes do not match ${expect.source}` });
    for (const [k, v] of Object.entries(m.groups ?? {})) captures.set(k, matchedText(v ?? ""));
    return;
  }
  throw new Mismatch({ reason: "received bytes, but the script expects something else" });
}

/** A datagram's sender and truncation, against the `from ADDR` and ` (truncated)` claimed. */
function checkDatagram(
  expect: Expectation & { kind: "data" | "regex" },
  result: Result & { kind: "data" },
  lookup: (name: string) => string | undefined,
  captures: Map<string, string>,
): void {
  if (expect.from) {
    if (result.from === undefined) {
      throw new Mismatch({
        reason: `the script expects a datagram from ${expect.from.source}; ` +
          "the command shows no sender (recvfrom does)",
      });
    }
    const got = matchTemplate(expect.from, result.from, lookup);
    if (!got) {
      throw new Mismatch({
        reason: `the datagram came from ${result.from}, the script expects ${expect.from.source}`,
      });
    }
    for (const [k, v] of got) captures.set(k, v);
  }
  if (expect.matched) {
    const got = result.matched;
    if (!got || got.index !== expect.matched.index || got.text !== expect.matched.text) {
      const was = got ? `matched ${got.index} ${got.text}` : "no alternative";
      throw new Mismatch({
        reason: `the script expects matched ${expect.matched.index} ${expect.matched.text}; ` +
          `the command ${got ? was : "shows which alternative matched only with several"}`,
      });
    }
  }
  checkKind(expect, result);
  if ((expect.truncated ?? false) !== (result.truncated ?? false)) {
    throw new Mismatch({
      reason: result.truncated
        ? "the datagram was truncated (longer than the read asked for); the script expects it whole"
        : "the script expects a truncated datagram; it arrived whole",
    });
  }
}

/** A WebSocket message's kind, against the ` (binary)` claimed (unmarked: text). */
function checkKind(
  expect: Expectation & { kind: "data" | "regex" },
  result: Result & { kind: "data" },
): void {
  if (result.message === undefined) {
    if (!expect.binary) return;
    throw new Mismatch({
      reason: `the script expects a binary WebSocket message; "${result.socket}" is no WebSocket`,
    });
  }
  const claimed = claimedKind(expect.binary, result.data);
  if (claimed === result.message) return;
  throw new Mismatch({
    reason: `received a ${result.message} message, the script expects a ${claimed} one`,
    hint: "a binary message is marked ` (binary)` after its bytes; unmarked bytes are text",
  });
}

function checkResult(
  expect: Expectation | undefined,
  result: Result,
  observed: string[],
  lookup: (name: string) => string | undefined,
  captures: Map<string, string>,
): void {
  if (!expect) return;
  if (expect.kind === "error") {
    throw new Mismatch({ reason: "the command succeeded, but the script expects it to fail" });
  }
  if (expect.kind === "data" || expect.kind === "regex") {
    if (result.kind !== "data") {
      throw new Mismatch({
        reason: "the script expects received bytes, the command returned none",
      });
    }
    checkData(expect, result.data, captures);
    return checkDatagram(expect, result, lookup, captures);
  }
  if (observed.length !== expect.lines.length) {
    throw new Mismatch({
      reason:
        `the command showed ${observed.length} lines, the script expects ${expect.lines.length}`,
    });
  }
  const got = new Map<string, string>();
  const local = (name: string) => got.get(name) ?? lookup(name);
  expect.lines.forEach((template, i) => {
    const m = matchTemplate(template, observed[i], local);
    if (!m) throw new Mismatch({ reason: `line ${i + 1} of the output differs` });
    for (const [k, v] of m) got.set(k, v);
  });
  for (const [k, v] of got) captures.set(k, v);
}
