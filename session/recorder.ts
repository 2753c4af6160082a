/**
 * The recorder: writes what a shell does as a script. Every command is written as typed, with
 * what it observed indented under it, in the canonical rendering; addresses of sockets the
 * recording created become variables (`${srv.local}`), so the script replays although ports
 * change. A command that failed while running is written with its error (`! message`); a line
 * that could not run at all (unknown command, bad usage) is written as a comment.
 *
 * @example Recording a session and replaying it
 * ```ts
 * import { Shell } from "../shell/shell.ts";
 * import { attachRecorder } from "./recorder.ts";
 * import { replayFile } from "./run.ts";
 * import assert from "node:assert/strict";
 *
 * const file = await Deno.makeTempFile({ suffix: ".sockit" });
 * {
 *   await using shell = new Shell();
 *   const recorder = attachRecorder(shell);
 *   await recorder.start(file);
 *   await shell.execute("listen tcp srv :0");
 *   const srv = shell.registry.get("srv", "read").info().local;
 *   await shell.execute(`open tcp a ${srv}`);
 *   await shell.execute("sendline a hello");
 *   await shell.execute("recvline srv.1");
 *   await recorder.stop();
 * }
 * const text = await Deno.readTextFile(file);
 * assert.match(text, /^open tcp a \$\{srv\.local\}$/m);
 * assert.match(text, /^recvline srv\.1\n  "hello\\n"$/m);
 * assert.equal((await replayFile(file)).status, "passed");
 * await Deno.remove(file);
 * ```
 *
 * @module
 */

import { parseArgs } from "../commands/args.ts";
import type { RecordingService } from "../commands/record.ts";
import type { Result } from "../commands/result.ts";
import type { Settings } from "../commands/types.ts";
import { PLAIN } from "../shell/colors.ts";
import { render } from "../grammar/render.ts";
import { renderResult, renderTable } from "../shell/renderer.ts";
import type { Executed, Shell } from "../shell/shell.ts";
import { type Token, tokenize } from "../grammar/tokenize.ts";
import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import { VERSION } from "../version.ts";
import { generalize } from "./template.ts";
import { socketValues } from "./variables.ts";
import { errorMessage } from "./_private.ts";

/** One command and its observation lines, as a script writes them. */
export function formatStep(command: string, observation: string[]): string {
  return [command, ...observation.map((l) => `  ${l}`)].join("\n") + "\n";
}

/** The observation lines of a result: exact bytes for data, generalized text otherwise. */
export function resultLines(
  result: Result,
  shell: Shell,
  values: [string, string][],
): string[] {
  if (result.kind === "data") return dataLines(result, shell.settings, values);
  return textLines(result, shell.settings, values);
}

/**
 * Received bytes as observation lines: exact bytes, and for a datagram the shell's
 * `from ADDR` (a known address becomes its variable) and ` (truncated)`; a binary WebSocket
 * message is marked ` (binary)`, as the shell shows it.
 */
export function dataLines(
  result: Result & { kind: "data" },
  settings: Settings,
  values: [string, string][],
): string[] {
  const lines = render(result.data, result.display ?? settings.display).split("\n");
  if (result.from !== undefined) lines[0] = `from ${generalize(result.from, values)} ${lines[0]}`;
  if (result.truncated) lines[lines.length - 1] += " (truncated)";
  if (result.message === "binary") lines[lines.length - 1] += " (binary)";
  return lines;
}

/**
 * The rendered lines of a result that is not data, with known values turned into variables;
 * tables are generalized cell by cell, then aligned.
 */
export function textLines(
  result: Result,
  settings: Settings,
  values: [string, string][],
): string[] {
  const rendered = result.kind === "table"
    ? renderTable(result.columns, result.rows.map((r) => r.map((c) => generalize(c, values))))
      .split("\n")
    : renderResult(result, settings, PLAIN).split("\n").map((l) => generalize(l, values));
  return rendered.filter((l) => l.trim() !== "");
}

/** Turns `:PORT` (and `localhost:PORT`) arguments naming a recorded listener's port into `:${L.port}`. */
function generalizePorts(command: string, values: [string, string][]): string {
  const ports = new Map<string, string>();
  for (const [value, name] of values) {
    const m = /^127\.0\.0\.1:(\d+)$/.exec(value);
    if (m && name.endsWith(".local") && !ports.has(m[1])) ports.set(m[1], name.slice(0, -6));
  }
  return command.replace(/(?<=\s(?:localhost)?):(\d+)(?=\s|$)/g, (all, port) => {
    const socket = ports.get(port);
    return socket ? `:\${${socket}.port}` : all;
  });
}

/**
 * Records a shell's commands into a script file; install with {@linkcode attachRecorder}.
 *
 * @example Recording two commands
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import { Recorder } from "./recorder.ts";
 * const file = await Deno.makeTempFile({ suffix: ".sockit" });
 * await using shell = new Shell();
 * const recorder = new Recorder(shell);
 * shell.services.recorder = recorder;
 * await recorder.start(file);
 * await shell.execute("set display hex");
 * assert.equal(await recorder.stop(), file);
 * assert.match(await Deno.readTextFile(file), /^# recorded by sockit .*\nset display hex\n/);
 * await Deno.remove(file);
 * ```
 */
export class Recorder implements RecordingService {
  #shell: Shell;
  #file: string | undefined;
  #known = new Set<string>();
  #before = new Set<string>();
  #writing: Promise<void> = Promise.resolve();
  #unobserve?: () => void;

  /** A recorder for `shell`; nothing is recorded until {@linkcode Recorder.start}. */
  constructor(shell: Shell) {
    this.#shell = shell;
  }

  /** The file being recorded to, if any. */
  get file(): string | undefined {
    return this.#file;
  }

  /** Starts recording into `file` (replacing it) with a header comment. */
  async start(file: string): Promise<void> {
    const existing = this.#shell.registry.names();
    this.#before = new Set(existing);
    this.#known = new Set();
    const lines = [`# recorded by sockit ${VERSION} on ${new Date().toISOString()}`];
    if (existing.length > 0) {
      lines.push(`# note: ${existing.join(", ")} existed before recording; replay needs them too`);
    }
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    this.#file = file;
    const observe = (e: Executed) => this.#observe(e);
    this.#shell.observers.add(observe);
    this.#unobserve = () => this.#shell.observers.delete(observe);
  }

  /** Stops recording; resolves with the file once everything is written. */
  async stop(): Promise<string> {
    const file = this.#file ?? "";
    this.#unobserve?.();
    this.#unobserve = undefined;
    await this.#writing;
    this.#file = undefined;
    return file;
  }

  #values(): [string, string][] {
    return socketValues(this.#shell.registry, (name) => this.#known.has(name));
  }

  /** The text one executed line adds to the script. */
  #entry(e: Executed): string {
    const line = e.line.trim();
    if (line === "") return "";
    if (line.startsWith("#")) return line + "\n";
    let head: string | undefined;
    try {
      head = tokenize(line)[0]?.text;
    } catch {
      return `# failed: ${line}  (${errorMessage(e.error)})\n`;
    }
    if (head === undefined || this.#shell.commands.get(head)?.script?.unrecorded) return "";
    const command = this.#paths(
      generalizePorts(generalize(line, this.#values()), this.#values()),
      e.result !== undefined,
    );
    for (const name of this.#shell.registry.names()) {
      if (!this.#before.has(name)) this.#known.add(name);
    }
    if (e.result) return formatStep(command, resultLines(e.result, this.#shell, this.#values()));
    if (!this.#couldRun(line)) return `# failed: ${line}  (${errorMessage(e.error)})\n`;
    return formatStep(command, [`! ${generalize(errorMessage(e.error), this.#values())}`]);
  }

  /**
   * Makes file paths replayable elsewhere, where the command declares them
   * (`script.transport`, `script.paths`, `script.sends`): the unix socket file a listening
   * command made (when it succeeded) becomes `${tmp}/NAME` (a fresh folder every replay); other
   * paths under the script's folder (`--cert`, `--key`, `--ca`, `@file`, `open unix PATH`)
   * become `${dir}/…`, other relative paths absolute.
   */
  #paths(command: string, ok: boolean): string {
    let tokens;
    let args;
    try {
      tokens = tokenize(command);
      const spec = this.#shell.commands.get(tokens[0].text);
      if (!spec?.script) return command;
      args = { spec: spec.script, ...parseArgs(spec, tokens.slice(1), command) };
    } catch {
      return command;
    }
    const { spec, positional } = args;
    const base = dirname(resolve(this.#file ?? "."));
    const place = (path: string) => {
      const rel = relative(base, resolve(path));
      if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) return `\${dir}/${rel}`;
      return resolve(path);
    };
    const plain = (t: Token | undefined): t is Token =>
      t !== undefined && !t.quoted && !t.text.includes("${") && t.spaceBefore;
    const edits: [token: Token, text: string][] = [];
    const kind = spec.transport === undefined ? undefined : positional[spec.transport];
    const path = spec.defines === undefined ? undefined : positional[spec.defines + 1];
    if (kind?.text === "unix" && !kind.quoted && plain(path)) {
      if (!spec.binds) edits.push([path, place(path.text)]);
      else if (ok) edits.push([path, `\${tmp}/${basename(path.text)}`]);
    }
    const options = new Set(spec.paths ?? []);
    tokens.forEach((t, i) => {
      if (!plain(t) || i === 0) return;
      const option = /^--([\w-]+)$/.exec(tokens[i - 1].text)?.[1];
      const glued = /^--([\w-]+)=(.+)$/.exec(t.text);
      if (option && options.has(option) && !tokens[i - 1].quoted) edits.push([t, place(t.text)]);
      else if (glued && options.has(glued[1])) {
        edits.push([t, `--${glued[1]}=${place(glued[2])}`]);
      }
    });
    if (spec.sends) {
      for (const t of positional.slice(spec.sends.payload)) {
        if (plain(t) && t.text.startsWith("@") && t.text.length > 1) {
          edits.push([t, `@${place(t.text.slice(1))}`]);
        }
      }
    }
    let out = command;
    for (const [t, text] of edits.sort((a, b) => b[0].start - a[0].start)) {
      if (!/\s/.test(text)) out = out.slice(0, t.start) + text + out.slice(t.end);
    }
    return out;
  }

  /** Whether a line names a command and fits its usage (so its failure happened while running). */
  #couldRun(line: string): boolean {
    try {
      const [head, ...rest] = tokenize(line);
      const command = this.#shell.commands.get(head.text);
      if (!command) return false;
      parseArgs(command, rest, line);
      return true;
    } catch {
      return false;
    }
  }

  #observe(e: Executed): void {
    const file = this.#file;
    if (!file) return;
    const text = this.#entry(e);
    if (!text) return;
    this.#writing = this.#writing.then(() => Deno.writeTextFile(file, text, { append: true }));
  }
}

/**
 * Installs a {@linkcode Recorder} as the shell's `services.recorder`, which the
 * `record start FILE` / `record stop` commands use; returns it.
 *
 * @example One recorder per shell
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import { attachRecorder } from "./recorder.ts";
 * await using shell = new Shell();
 * const recorder = attachRecorder(shell);
 * assert.equal(shell.services.recorder, recorder);
 * assert.equal(attachRecorder(shell), recorder);
 * ```
 */
export function attachRecorder(shell: Shell): Recorder {
  const existing = shell.services.recorder;
  if (existing instanceof Recorder) return existing;
  const recorder = new Recorder(shell);
  shell.services.recorder = recorder;
  return recorder;
}
