/**
 * The script format (`*.sockit`): the AST a parsed script becomes. See `docs/scripts.md` for the
 * grammar; in short, a command line starts in column 1, the lines indented under it are what it
 * observed, and `#` starts a comment line.
 *
 * ```text
 * listen tcp srv :0
 *   srv  listening  tcp ${srv.local}
 * open tcp a ${srv.local}
 *   a  open  tcp ${a.local} → ${srv.local}
 * sendline a hello
 *   sent 6 bytes to a
 * recv srv.1                 # a claim about the next bytes, not about read boundaries
 *   "hello\n"
 * recv a --timeout 100ms
 *   ! Cannot recv from "a": timed out after 100ms (nothing buffered)
 * ```
 *
 * @module
 */

import type { Args, Command } from "../commands/types.ts";

/**
 * One piece of a template line: literal text, a variable, a wildcard or a capture.
 *
 * @example The parts of an observation line with a variable and a wildcard
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import type { TemplatePart } from "./format.ts";
 * const script = parseScript("listen tcp srv :0\nls\n  srv  tcp  listening  ${srv.local}  ${*}\n");
 * const expect = script.steps[1].expect;
 * if (expect?.kind !== "text") throw new Error("expected text");
 * const kinds = expect.lines[0].parts.map((p: TemplatePart) => p.kind);
 * assert.ok(kinds.includes("var") && kinds.includes("pattern"), kinds.join(" "));
 * ```
 */
export type TemplatePart =
  | { kind: "text"; text: string }
  /** `${NAME}`: the value of a variable, compared literally. */
  | { kind: "var"; name: string; column: number }
  /** `${*}` (any text) or `${NAME:REGEX}` / `${:REGEX}` / `${NAME:*}` (a capture). */
  | { kind: "pattern"; name?: string; source: string };

/**
 * One observation line matched as text: literal parts, variables, wildcards and captures.
 *
 * @example An observation line as a template
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import type { Template } from "./format.ts";
 * const script = parseScript("set display hex\n  ${*}\n");
 * const expect = script.steps[0].expect;
 * if (expect?.kind !== "text") throw new Error("expected text");
 * const line: Template = expect.lines[0];
 * assert.equal(line.source, "${*}");
 * ```
 */
export interface Template {
  /** As written (without the indentation). */
  source: string;
  /** The pieces, in order. */
  parts: TemplatePart[];
}

/**
 * What a datagram or WebSocket read adds to its bytes, as the shell shows it:
 * `from 127.0.0.1:5000 "hello" (truncated)`, `hex:00ff (binary)`.
 *
 * @example A datagram's sender is part of what a read observed
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import type { DatagramClaims } from "./format.ts";
 * const script = parseScript([
 *   "listen udp srv :0",
 *   "open udp a ${srv.local}",
 *   "send a ping",
 *   "recvfrom srv",
 *   '  from ${a.local} "ping"',
 * ].join("\n"));
 * const claims: DatagramClaims | undefined = script.steps[3].expect?.kind === "data"
 *   ? script.steps[3].expect
 *   : undefined;
 * assert.equal(claims?.from?.source, "${a.local}");
 * ```
 */
export interface DatagramClaims {
  /** `from ADDR`: the sender, a template (`from ${a.local}`); absent: not checked. */
  from?: Template;
  /** ` (truncated)`: the datagram was longer than the read asked for. */
  truncated?: boolean;
  /** `matched N ALT` above the bytes: which of `expect`'s alternatives matched. */
  matched?: { index: number; text: string };
  /**
   * ` (binary)` after the bytes: a binary WebSocket message. Unmarked bytes claim a text message
   * on a ws socket (bytes that are not UTF-8 can only be binary, so there it may be left out);
   * other sockets ignore it.
   */
  binary?: boolean;
}

/**
 * What a command is expected to observe.
 *
 * @example The kinds of observation
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import type { Expectation } from "./format.ts";
 * const script = parseScript([
 *   "listen tcp srv :0",
 *   "open tcp a ${srv.local}",
 *   "sendline srv.1 id=42",
 *   "recv a",
 *   "  /id=(?<id>\\d+)\\n/",
 *   "recv nosuch",
 *   "  ! ${*}",
 * ].join("\n"));
 * const kinds = script.steps.map((s) => (s.expect as Expectation | undefined)?.kind);
 * assert.deepEqual(kinds, [undefined, undefined, undefined, "regex", "error"]);
 * ```
 */
export type Expectation =
  /**
   * Received bytes, exact: a quoted string or hexdump lines; or `@PATH`, the contents of a file
   * (`file`, a template such as `@${dir}/answer.bin`, read when the step runs; `bytes` is empty
   * until then). The recording proxy writes large answers so.
   */
  | ({ kind: "data"; bytes: Uint8Array; file?: Template } & DatagramClaims)
  /** Received bytes matching `/REGEX/flags` (latin1); named groups become variables. */
  | ({ kind: "regex"; regex: RegExp; source: string; names: string[] } & DatagramClaims)
  /** The command fails with this message (`! message`). */
  | { kind: "error"; template: Template }
  /** The rendered output lines (messages, socket lines, tables). */
  | { kind: "text"; lines: Template[] };

/**
 * One command of a script and what it observed.
 *
 * @example A step: a command, where it is, and what it observed
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import type { Step } from "./format.ts";
 * const script = parseScript('listen tcp srv :0\nopen tcp a ${srv.local}\nrecv a\n  "hi"\n');
 * const step: Step = script.steps[2];
 * assert.equal(step.line, 3);
 * assert.equal(step.name, "recv");
 * assert.equal(step.socket, "a");
 * assert.deepEqual(step.observed, { from: 3, to: 4 });
 * ```
 */
export interface Step {
  /** 1-based line of the command. */
  line: number;
  /** 1-based column where the command starts. */
  column: number;
  /** The command as written, `${…}` not yet substituted, trailing comment kept. */
  command: string;
  /** The command as a template (`${NAME}` variables), when the parser made it. */
  template?: Template;
  /** The command's name (its first word). */
  name: string;
  /**
   * The command line parsed once: the command (whose `script` declarations the parser, recorder,
   * replay and mock consult) and its arguments as written, `${…}` not yet substituted.
   */
  call: Call;
  /** The socket name a read command reads from, when it is a plain name. */
  socket?: string;
  /** What it observed; undefined when the script states nothing (only success is checked). */
  expect?: Expectation;
  /** 0-based index of the first and one past the last observation line in the source. */
  observed?: { from: number; to: number };
}

/**
 * A parsed command line: the command and its arguments.
 *
 * @example A step's parsed command line
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import type { Call } from "./format.ts";
 * const script = parseScript("sendline a hello there\n");
 * const call: Call = script.steps[0].call;
 * assert.equal(call.command.name, "sendline");
 * assert.deepEqual(call.args.positional.map((t) => t.text), ["a", "hello", "there"]);
 * ```
 */
export interface Call {
  /** The command the line names. */
  command: Command;
  /** Its arguments, as the script writes them. */
  args: Args;
}

/**
 * A parsed script.
 *
 * @example A parsed script keeps its lines for --update
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript } from "./parse.ts";
 * import type { Script } from "./format.ts";
 * const script: Script = parseScript("# a comment\nset display hex\n", "x.sockit");
 * assert.equal(script.file, "x.sockit");
 * assert.deepEqual(script.lines, ["# a comment", "set display hex"]);
 * assert.equal(script.steps.length, 1);
 * ```
 */
export interface Script {
  /** The file name, or a label such as `<script>`. */
  file: string;
  /** The source text, split into lines (for `--update`). */
  lines: string[];
  /** The commands, in order. */
  steps: Step[];
}
