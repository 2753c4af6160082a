/**
 * The script parser: source text → {@linkcode Script} (steps with line numbers), checking
 * everything that can be checked before a byte is sent: unknown commands and options,
 * unterminated strings, bad escapes, bad regexes, malformed observations and variables used
 * before they are defined. Errors are {@linkcode ScriptError}s naming `file:line:column` with a
 * hint.
 *
 * @example Parsing a script
 * ```ts
 * import { parseScript } from "./parse.ts";
 * import assert from "node:assert/strict";
 *
 * const script = parseScript('listen tcp srv :0\nrecv srv.1\n  "hi"\n', "demo.sockit");
 * assert.equal(script.steps.length, 2);
 * assert.equal(script.steps[1].line, 2);
 * assert.deepEqual(script.steps[1].expect, { kind: "data", bytes: new TextEncoder().encode("hi") });
 *
 * assert.throws(() => parseScript("sned a hi", "bad.sockit"), /bad\.sockit:1:1: unknown command "sned"/);
 * ```
 *
 * @module
 */

import { COMMANDS } from "../commands/mod.ts";
import { parseArgs } from "../commands/args.ts";
import { groupNames, parseAlternatives, parseRegex } from "../commands/expect.ts";
import type { Args, Command } from "../commands/types.ts";
import { nearest } from "../grammar/nearest.ts";
import { parseLiteral } from "../grammar/payload.ts";
import { isHexdumpLine, parseRendered } from "../grammar/render.ts";
import { type Token, tokenize } from "../grammar/tokenize.ts";
import type { Expectation, Script, Step, Template } from "./format.ts";
import type { DatagramClaims } from "./format.ts";
import { closingBrace, parseTemplate, type TemplateError, templateVars } from "./template.ts";
import { BUILTIN_VARIABLES, errorMessage, ScriptError, SOCKET_PROPS } from "./_private.ts";

/**
 * Parser settings; all optional.
 *
 * @example Parsing a script that uses a variable given at replay
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript, type ParseOptions } from "./parse.ts";
 * const options: ParseOptions = { variables: ["port"] };
 * assert.throws(() => parseScript("open tcp a 127.0.0.1:${port}\n"), /port/);
 * assert.equal(parseScript("open tcp a 127.0.0.1:${port}\n", "x", options).steps.length, 1);
 * ```
 */
export interface ParseOptions {
  /** Extra commands the shell that replays the script will have. */
  commands?: readonly Command[];
  /** Variables defined before the script starts (names only). */
  variables?: Iterable<string>;
}

const PROMPT = "sockit> ";
const EVENT_LINE = /^\[[^\]\s]+\] /;

/** What the parser knows about names so far, to catch undefined variables. */
class Scope {
  readonly captures: Set<string>;
  readonly sockets = new Set<string>();
  readonly listeners = new Set<string>();
  constructor(variables: Iterable<string> = []) {
    this.captures = new Set([...BUILTIN_VARIABLES, ...variables]);
  }
  has(name: string): boolean {
    if (this.captures.has(name)) return true;
    const dot = name.lastIndexOf(".");
    if (dot < 0 || !SOCKET_PROPS.has(name.slice(dot + 1))) return false;
    const socket = name.slice(0, dot);
    if (this.sockets.has(socket)) return true;
    const child = /^(.+)\.\d+$/.exec(socket);
    return child !== null && this.listeners.has(child[1]);
  }
  known(): string[] {
    return [
      ...this.captures,
      ...[...this.sockets].flatMap((s) => [...SOCKET_PROPS].map((p) => `${s}.${p}`)),
    ];
  }
}

/** Column (0-based, in `raw`) and text of the first bad escape in double-quoted text. */
function badEscape(raw: string): { index: number; text: string } | undefined {
  for (let i = raw.indexOf("\\"); i >= 0; i = raw.indexOf("\\", i + 2)) {
    const c = raw[i + 1];
    if (c !== undefined && "nrt0\\\"'e".includes(c)) continue;
    if (c === "x" && /^[0-9a-fA-F]{2}$/.test(raw.slice(i + 2, i + 4))) {
      i += 2;
      continue;
    }
    return { index: i, text: raw.slice(i, c === "x" ? i + 4 : i + 2) };
  }
  return undefined;
}

const ESCAPE_HINT = "valid escapes: \\n \\r \\t \\0 \\\\ \\\" \\' \\e \\xHH";

/** A line of the source after classification. */
type Line =
  | { kind: "command"; index: number; text: string; offset: number }
  | { kind: "observation"; index: number; text: string; offset: number };

function classify(lines: string[]): Line[] {
  const promptMode = lines.some((l) => l.startsWith(PROMPT));
  const out: Line[] = [];
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    if (promptMode) {
      if (raw.startsWith(PROMPT) || raw.trimEnd() === PROMPT.trimEnd()) {
        // An empty prompt line (Enter pressed on its own) or a comment typed at the prompt.
        const typed = raw.slice(PROMPT.length).trim();
        if (typed === "" || typed.startsWith("#")) return;
        out.push({ kind: "command", index, text: raw.slice(PROMPT.length), offset: PROMPT.length });
      } else if (!EVENT_LINE.test(trimmed)) {
        out.push({ kind: "observation", index, text: raw, offset: 0 });
      }
      return;
    }
    const kind = /^\s/.test(raw) ? "observation" : "command";
    out.push({ kind, index, text: raw, offset: 0 });
  });
  return out;
}

/**
 * Parses a script. `file` names it in errors. Throws a {@linkcode ScriptError} for the first
 * problem found.
 *
 * @example A command and what it observed
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * const script = parseScript('listen tcp srv :0\nopen tcp a ${srv.local}\nsendline a hi\nrecv srv.1\n  "hi\\n"\n');
 * assert.equal(script.steps.length, 4);
 * assert.throws(() => parseScript("recv\n", "bad.sockit"), /bad\.sockit:1/);
 * ```
 */
export function parseScript(source: string, file = "<script>", options: ParseOptions = {}): Script {
  const lines = source.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  const commands = new Map<string, Command>(
    [...COMMANDS, ...(options.commands ?? [])].map((c) => [c.name, c]),
  );
  const scope = new Scope(options.variables);
  const steps: Step[] = [];
  const classified = classify(lines);
  let k = 0;
  while (k < classified.length) {
    const head = classified[k++];
    const fail = (column: number, reason: string, hint?: string): never => {
      throw new ScriptError(file, head.index + 1, column + 1, reason, hint);
    };
    if (head.kind === "observation") {
      fail(
        head.text.search(/\S/),
        "an observation (indented line) comes before any command",
        "commands start in column 1; what they observed is indented under them",
      );
    }
    const step = parseCommand(head.text, head.offset, commands, scope, fail);
    step.line = head.index + 1;
    const block: Line[] = [];
    while (k < classified.length && classified[k].kind === "observation") {
      block.push(classified[k++]);
    }
    if (block.length > 0) {
      step.expect = parseObservation(block, step, scope, file);
      step.observed = { from: block[0].index, to: block.at(-1)!.index + 1 };
    }
    steps.push(step);
  }
  return { file, lines, steps };
}

function parseCommand(
  text: string,
  offset: number,
  commands: Map<string, Command>,
  scope: Scope,
  fail: (column: number, reason: string, hint?: string) => never,
): Step {
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (error) {
    const column = (errorColumn(error) ?? 1) - 1;
    const quote = text[column];
    return fail(offset + column, `unterminated string`, `close it with ${quote}`);
  }
  if (tokens.length === 0) return fail(offset, "expected a command");
  const end = tokens.at(-1)!.end;
  const command = text.slice(0, end);
  let template: Template;
  try {
    template = parseTemplate(command, false);
  } catch (error) {
    const e = error as TemplateError;
    return fail(offset + e.column, e.message, e.hint);
  }
  for (const v of templateVars(template)) {
    if (!scope.has(v.name)) undefinedVariable(v.name, offset + v.column, scope, fail);
  }
  const [head, ...rest] = tokens;
  const spec = commands.get(head.text);
  if (!spec) {
    const guess = nearest(head.text, commands.keys());
    fail(
      offset + head.start,
      `unknown command "${head.text}"`,
      guess ? `did you mean ${guess}?` : "help lists the commands",
    );
  }
  let args: Args;
  try {
    args = parseArgs(spec!, rest, command);
  } catch (error) {
    const hint = (error as { hint?: string }).hint;
    // Point at the token the message names (an unknown option, an extra argument).
    const named = /"([^"]+)"/.exec(errorMessage(error))?.[1];
    const at = rest.find((t) => named !== undefined && t.text.startsWith(named)) ?? rest[0] ?? head;
    return fail(offset + at.start, errorMessage(error), hint);
  }
  for (const token of rest) {
    if (token.quote === '"') {
      const bad = badEscape(token.text);
      if (bad) fail(offset + token.start + 1 + bad.index, `bad escape "${bad.text}"`, ESCAPE_HINT);
    } else if (!token.quoted && /^(hex|b64):/.test(token.text) && !token.text.includes("${")) {
      try {
        parseLiteral(token);
      } catch (error) {
        fail(offset + token.start, errorMessage(error), (error as { hint?: string }).hint);
      }
    }
  }
  const name = head.text;
  const { positional } = args;
  const declared = spec!.script ?? {};
  const at = declared.regex;
  if (at !== undefined && positional.length > at && !command.includes("${")) {
    const first = positional[at];
    try {
      // Named groups of the regexes become variables once the command succeeded.
      for (const alt of parseAlternatives(positional.slice(at), command, name)) {
        if (alt.kind === "regex") { for (const n of groupNames(alt.regex)) scope.captures.add(n); }
      }
    } catch (error) {
      const message = errorMessage(error).replace(/^Cannot [^:]*: /, "");
      fail(offset + first.start, message, "regexes look like /^\\+OK/ or /\\d+ items/i");
    }
  }
  const defined = declared.defines === undefined ? undefined : positional[declared.defines];
  if (defined && !defined.quoted) {
    scope.sockets.add(defined.text);
    if (declared.children) scope.listeners.add(defined.text);
  }
  const target = positional[declared.socket ?? 0];
  const socket = declared.reads && target && !target.text.includes("${") ? target.text : undefined;
  const call = { command: spec!, args };
  return { line: 0, column: offset + 1, command, template, name, call, socket };
}

function undefinedVariable(
  name: string,
  column: number,
  scope: Scope,
  fail: (column: number, reason: string, hint?: string) => never,
): never {
  const guess = nearest(name, scope.known());
  return fail(
    column,
    `undefined variable \${${name}}`,
    guess
      ? `did you mean \${${guess}}?`
      : "variables are NAME.local/.remote/.host/.port of sockets opened, listened or served above, " +
        "or captures such as ${id:\\d+}",
  );
}

function parseObservation(block: Line[], step: Step, scope: Scope, file: string): Expectation {
  const indent = /^\s*/.exec(block[0].text)![0].length;
  const body = block.map((l) => {
    const lead = /^\s*/.exec(l.text)![0].length;
    const cut = Math.min(lead, indent);
    return { index: l.index, text: l.text.slice(cut).trimEnd(), column: l.offset + cut };
  });
  const fail = (at: number, column: number, reason: string, hint?: string): never => {
    throw new ScriptError(file, body[at].index + 1, body[at].column + column + 1, reason, hint);
  };
  const isRead = step.call.command.script?.reads !== undefined;
  if (body[0].text.startsWith("!")) {
    if (body.length > 1) fail(1, 0, "an expected error (`! message`) is one line");
    const first = body[0].text;
    const message = first.slice(1).trimStart();
    const shift = first.length - message.length;
    const template = textTemplate(message, 0, scope, (a, c, r, h) => fail(a, c + shift, r, h));
    return { kind: "error", template };
  }
  if (!isRead) {
    return { kind: "text", lines: body.map((l, at) => textTemplate(l.text, at, scope, fail)) };
  }
  const matched = matchedClaim(body);
  const claims = { ...datagramClaims(body, scope, fail), ...matched };
  const first = body[0].text;
  if (first.startsWith('"')) {
    if (body.length > 1) {
      fail(1, 0, "quoted bytes are one line", "join the lines, or use a hexdump");
    }
    let tokens: Token[] = [];
    try {
      tokens = tokenize(first);
    } catch {
      fail(0, 0, "unterminated string", 'close it with "');
    }
    if (tokens.length !== 1 || tokens[0].quote !== '"') {
      fail(0, tokens[1]?.start ?? 0, "expected one quoted string", 'escape inner quotes as \\"');
    }
    const bad = badEscape(tokens[0].text);
    if (bad) fail(0, 1 + bad.index, `bad escape "${bad.text}"`, ESCAPE_HINT);
    return { kind: "data", bytes: parseRendered(first), ...claims };
  }
  if (first.startsWith("@") && first.length > 1) {
    if (body.length > 1) fail(1, 0, "an @FILE observation is one line");
    const file = textTemplate(first.slice(1), 0, scope, (a, c, r, h) => fail(a, c + 1, r, h));
    if (file.parts.some((p) => p.kind === "pattern")) {
      fail(0, 1, "an @FILE observation names a file: no wildcards or captures");
    }
    return { kind: "data", bytes: new Uint8Array(0), file, ...claims };
  }
  if (first.startsWith("/")) {
    if (body.length > 1) fail(1, 0, "a /REGEX/ observation is one line");
    let regex: RegExp;
    try {
      regex = parseRegex(first, "match");
    } catch (error) {
      return fail(0, 0, errorMessage(error).replace(/^Cannot match: /, ""), "e.g. /^\\+OK\\r\\n/");
    }
    const names = [...first.matchAll(/\(\?<([A-Za-z_]\w*)>/g)].map((m) => m[1]);
    for (const n of names) scope.captures.add(n);
    return { kind: "regex", regex, source: first, names, ...claims };
  }
  body.forEach((l, at) => {
    if (!isHexdumpLine(l.text)) {
      fail(
        at,
        0,
        `expected received bytes, got ${JSON.stringify(l.text.slice(0, 40))}`,
        'write a "quoted" string, hexdump lines, /REGEX/ or ! error',
      );
    }
  });
  return { kind: "data", bytes: parseRendered(body.map((l) => l.text).join("\n")), ...claims };
}

/**
 * Takes `expect`'s `matched N ALT` line off the block (in place), when bytes follow it: which
 * alternative the read is expected to match.
 */
function matchedClaim(body: { text: string }[]): { matched?: { index: number; text: string } } {
  const m = /^matched (\d+) (\S.*)$/.exec(body[0].text);
  if (!m || body.length < 2) return {};
  body.shift();
  return { matched: { index: Number(m[1]), text: m[2] } };
}

/**
 * Takes what a datagram read shows around its bytes off the block (in place): a `from ADDR `
 * prefix on the first line (ADDR a template without spaces outside `${…}`), and the suffixes
 * ` (truncated)` and then ` (binary)` (a binary WebSocket message) on the last.
 */
function datagramClaims(
  body: { text: string; column: number }[],
  scope: Scope,
  fail: (at: number, column: number, reason: string, hint?: string) => never,
): DatagramClaims {
  const claims: DatagramClaims = {};
  const last = body.at(-1)!;
  if (last.text.endsWith(" (binary)")) {
    claims.binary = true;
    last.text = last.text.slice(0, -" (binary)".length).trimEnd();
  }
  if (last.text.endsWith(" (truncated)")) {
    claims.truncated = true;
    last.text = last.text.slice(0, -" (truncated)".length).trimEnd();
  }
  const first = body[0];
  if (first.text.startsWith("from ")) {
    let end = 5;
    while (end < first.text.length && first.text[end] !== " ") {
      if (first.text.startsWith("${", end)) {
        const close = closingBrace(first.text, end);
        end = close < 0 ? first.text.length : close + 1;
      } else end++;
    }
    const address = first.text.slice(5, end);
    if (address === "" || end >= first.text.length) {
      fail(0, 0, "expected `from ADDR` and then the bytes", 'e.g. from ${a.local} "hello"');
    }
    claims.from = textTemplate(address, 0, scope, (a, c, r, h) => fail(a, c + 5, r, h));
    const skip = end + 1 + /^ */.exec(first.text.slice(end + 1))![0].length;
    first.text = first.text.slice(skip);
    first.column += skip;
  }
  return claims;
}

function textTemplate(
  text: string,
  at: number,
  scope: Scope,
  fail: (at: number, column: number, reason: string, hint?: string) => never,
): Template {
  let template: Template;
  try {
    template = parseTemplate(text);
  } catch (error) {
    const e = error as TemplateError;
    return fail(at, e.column, e.message, e.hint);
  }
  for (const part of template.parts) {
    if (part.kind === "var" && !scope.has(part.name)) {
      undefinedVariable(part.name, part.column, scope, (c, r, h) => fail(at, c, r, h));
    }
  }
  // Captures are defined once their line matched: later lines may use them.
  for (const part of template.parts) {
    if (part.kind === "pattern" && part.name) scope.captures.add(part.name);
  }
  return template;
}

/** The column a tokenizer error points at. */
function errorColumn(error: unknown): number | undefined {
  return (error as { column?: number }).column;
}
