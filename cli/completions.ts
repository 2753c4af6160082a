/**
 * `sockit completions bash|zsh|fish`: prints a completion script for the command line. The
 * script is generated from the commander program itself (subcommands, their options and
 * arguments) and from the tables the commands read (protocols, transports, display modes, log
 * formats, frames), so it cannot go stale: nothing here lists a subcommand or an option.
 *
 * @module
 */
import type { Argument, Command, Option } from "commander";
import { SockitError } from "../grammar/errors.ts";
import { nearest } from "../grammar/nearest.ts";
import { SETTINGS } from "../commands/set.ts";
import { COMMANDS } from "../commands/mod.ts";
import { LOG_FORMATS } from "../log/logger.ts";
import { FRAME_NAMES } from "../protocols/framing.ts";
import { PROTOCOLS } from "../protocols/mod.ts";
import { stdoutLine } from "../shell/batch.ts";
import { PIPE_KINDS } from "./_endpoints.ts";
import { bashScript, fishScript, zshScript } from "./_completion_scripts.ts";

/**
 * The shells `sockit completions` writes scripts for.
 *
 * @example The shells
 * ```ts
 * import assert from "node:assert/strict";
 * import { SHELLS } from "./completions.ts";
 * assert.deepEqual(SHELLS, ["bash", "zsh", "fish"]);
 * ```
 */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** What a value slot takes: a flag takes none; words are offered; files, dirs or anything. */
export type Values =
  | { kind: "none" }
  | { kind: "words"; words: readonly string[] }
  | { kind: "files" }
  | { kind: "dirs" }
  | { kind: "any"; name: string };

/** One option as the scripts see it. */
export interface CompletionOption {
  /** `-c`, if any. */
  short?: string;
  /** `--command`. */
  long: string;
  description: string;
  /** The value it takes (`none` for a flag). */
  value: Values;
  /** The value may be left out (`--timestamps [mode]`). */
  optional: boolean;
  /** What help calls the value (`mode`). */
  valueName: string;
}

/** One subcommand (or the program itself, named ""). */
export interface CompletionCommand {
  name: string;
  description: string;
  options: CompletionOption[];
  /** The values of positional arguments 0, 1, …; the program itself takes none. */
  positions: { name: string; value: Values }[];
  /** What every later position takes (a variadic argument), if anything. */
  rest?: { name: string; value: Values };
}

/** The whole command line: the program's own options and its subcommands. */
export interface CompletionModel {
  program: string;
  root: CompletionCommand;
  commands: CompletionCommand[];
}

const transports = () => [...new Set([...PROTOCOLS.values()].flatMap((p) => p.transports))];

/** Option values that the option parser leaves as free text, by long option name. */
const OPTION_WORDS: Record<string, () => readonly string[]> = {
  "--display": () => SETTINGS.get("display")?.values ?? [],
  "--timestamps": () => SETTINGS.get("timestamps")?.values ?? [],
  "--log-format": () => LOG_FORMATS,
  "--frame": () => FRAME_NAMES,
};

/** Positional argument values, by `SUBCOMMAND ARGUMENT`; only the first word of a variadic one. */
const ARGUMENT_WORDS: Record<string, (program: Command) => readonly string[]> = {
  "serve protocol": () => [...PROTOCOLS.keys()],
  "serve transport": transports,
  "help command": (program) => [
    ...new Set([...program.commands.map((c) => c.name()), ...COMMANDS.map((c) => c.name)]),
  ],
  "completions shell": () => SHELLS,
  "connect address": () => PIPE_KINDS,
  "listen address": () => PIPE_KINDS,
};

/** Value names that mean a path. */
const FILE_NAMES = new Set(["file", "paths"]);
const DIR_NAMES = new Set(["dir"]);

function words(list: readonly string[]): Values {
  for (const word of list) {
    // The scripts put words unquoted into word lists: keep them plain.
    if (!/^[\w.:@+-]+$/.test(word)) throw new Error(`completion word "${word}" is not plain`);
  }
  return { kind: "words", words: list };
}

function byName(name: string): Values {
  if (FILE_NAMES.has(name)) return { kind: "files" };
  if (DIR_NAMES.has(name)) return { kind: "dirs" };
  return { kind: "any", name };
}

function option(o: Option): CompletionOption {
  const long = o.long ?? o.short!;
  const valueName = /[<[]([^>\].]+)/.exec(o.flags)?.[1] ?? "value";
  const takes = o.required || o.optional;
  const known = o.argChoices ?? OPTION_WORDS[long]?.();
  return {
    short: o.long ? o.short : undefined,
    long,
    description: o.description,
    value: !takes ? { kind: "none" } : known ? words(known) : byName(valueName),
    optional: o.optional,
    valueName,
  };
}

const HELP: CompletionOption = {
  short: "-h",
  long: "--help",
  description: "display help for command",
  value: { kind: "none" },
  optional: false,
  valueName: "",
};

function subcommand(program: Command, c: Command): CompletionCommand {
  const positions: CompletionCommand["positions"] = [];
  let rest: CompletionCommand["rest"];
  for (const a of c.registeredArguments as readonly Argument[]) {
    const name = a.name();
    const listed = a.argChoices ?? ARGUMENT_WORDS[`${c.name()} ${name}`]?.(program);
    const value = listed ? words(listed) : byName(name);
    if (!a.variadic) positions.push({ name, value });
    else if (listed) {
      positions.push({ name, value });
      rest = { name, value: { kind: "any", name } };
    } else rest = { name, value };
  }
  const options = c.options.filter((o) => !o.hidden).map(option);
  return {
    name: c.name(),
    description: c.description(),
    options: [...options, HELP],
    positions,
    rest,
  };
}

/**
 * Reads the completion model off a commander program (sockit's, from cli.ts).
 *
 * @example What completes after sockit serve
 * ```ts
 * import assert from "node:assert/strict";
 * import { program } from "../cli.ts";
 * import { completionModel } from "./completions.ts";
 * const model = completionModel(program());
 * const serve = model.commands.find((c) => c.name === "serve")!;
 * assert.equal(serve.positions[0].name, "protocol");
 * assert.ok(serve.positions[0].value.kind === "words" && serve.positions[0].value.words.includes("echo"));
 * assert.ok(serve.options.some((o) => o.long === "--frame" && o.value.kind === "words"));
 * ```
 */
export function completionModel(program: Command): CompletionModel {
  const root = subcommand(program, program);
  root.name = "";
  root.positions = [];
  root.rest = undefined;
  return {
    program: program.name(),
    root,
    commands: program.commands.map((c) => subcommand(program, c)),
  };
}

/**
 * The completion script for `shell`, or a one-line error naming it with the nearest shell.
 *
 * @example A script for bash, and a one-line error for an unknown shell
 * ```ts
 * import assert from "node:assert/strict";
 * import { program } from "../cli.ts";
 * import { completionScript } from "./completions.ts";
 * import type { SockitError } from "../grammar/errors.ts";
 * assert.match(completionScript(program(), "bash"), /^complete -F _sockit sockit$/m);
 * assert.throws(
 *   () => completionScript(program(), "fsh"),
 *   (e: SockitError) => e.message.endsWith("unknown shell") && e.hint!.startsWith("did you mean fish?"),
 * );
 * ```
 */
export function completionScript(program: Command, shell: string): string {
  const model = completionModel(program);
  switch (shell) {
    case "bash":
      return bashScript(model);
    case "zsh":
      return zshScript(model);
    case "fish":
      return fishScript(model);
  }
  const guess = nearest(shell, SHELLS);
  throw new SockitError(`Cannot print completions for "${shell}": unknown shell`, {
    code: "usage",
    hint: `${guess ? `did you mean ${guess}? ` : ""}shells: ${SHELLS.join(", ")}`,
  });
}

/**
 * Adds `sockit completions SHELL` to the program.
 *
 * @example The subcommand on a program
 * ```ts
 * import assert from "node:assert/strict";
 * import { Command } from "commander";
 * import { addCompletions } from "./completions.ts";
 * const cli = new Command("demo");
 * addCompletions(cli);
 * assert.deepEqual(cli.commands.map((c) => c.name()), ["completions"]);
 * ```
 */
export function addCompletions(cli: Command): void {
  cli.command("completions")
    .description("print a completion script for bash, zsh or fish (see README: Shell completion)")
    .argument("<shell>", "bash, zsh or fish")
    .action((shell: string) => stdoutLine(completionScript(cli, shell).trimEnd()));
}
