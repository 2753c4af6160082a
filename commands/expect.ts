import { SockitError } from "../grammar/errors.ts";
import type { Token } from "../grammar/tokenize.ts";
import type { ReceiveBuffer } from "../sockets/receive_buffer.ts";
import { readingCommand } from "./reading.ts";
import type { Matched } from "./result.ts";

/** Parses `/REGEX/flags` into a RegExp, naming the action and the value on error. */
export function parseRegex(text: string, action: string): RegExp {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(text);
  if (!m) {
    throw new SockitError(`Cannot ${action}: "${text}" is not a /REGEX/`, {
      code: "usage",
      hint: "write it between slashes, e.g. /^\\+OK/ or /\\d+ items/i",
    });
  }
  const seen = new Set<string>();
  for (const flag of m[2]) {
    const problem = !"dgimsuvy".includes(flag)
      ? "unknown regex flag"
      : seen.has(flag)
      ? "repeated regex flag"
      : undefined;
    if (problem) {
      throw new SockitError(`Cannot ${action}: ${problem} "${flag}" in ${text}`, {
        code: "usage",
        hint: "flags: i (ignore case), m (^ and $ per line), s (. matches \\n), u (unicode)",
      });
    }
    seen.add(flag);
  }
  const flags = m[2].replace(/[gy]/g, "");
  try {
    return new RegExp(m[1], flags);
  } catch (error) {
    // V8 words it "Invalid regular expression: /x(/: Unterminated group": keep the reason.
    const reason = (error as Error).message.replace(
      /^Invalid regular expression: \/.*\/[a-z]*: /s,
      "",
    );
    throw new SockitError(`Cannot ${action}: bad regex ${text}: ${reason.toLowerCase()}`, {
      code: "usage",
      cause: error,
    });
  }
}

/** One alternative of `expect`: a regex (with its text as written), `eof` or `timeout`. */
export type Alternative =
  | { kind: "regex"; regex: RegExp; text: string }
  | { kind: "eof"; text: "eof" }
  | { kind: "timeout"; text: "timeout" };

/** Whether `text` is a whole `/REGEX/flags` (its closing slash not escaped). */
function closesRegex(text: string): boolean {
  const m = /^\/(.*)\/[a-z]*$/s.exec(text);
  if (!m) return false;
  const backslashes = /\\*$/.exec(m[1])![0].length;
  return backslashes % 2 === 0;
}

/**
 * The alternatives of `expect NAME ALT…`, from the argument tokens as typed in `line`: each a
 * `/REGEX/flags` (which may hold spaces, or be quoted whole), or the word `eof` or `timeout`.
 * Errors name `action` and the value. The parser of scripts checks expect lines with this too.
 *
 * @example Two regexes and an outcome
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenize } from "../grammar/tokenize.ts";
 * import { parseAlternatives } from "./expect.ts";
 * const line = "expect a /one two/ /3/i eof";
 * const alts = parseAlternatives(tokenize(line).slice(2), line, "expect on \"a\"");
 * assert.deepEqual(alts.map((a) => a.text), ["/one two/", "/3/i", "eof"]);
 * ```
 */
export function parseAlternatives(tokens: Token[], line: string, action: string): Alternative[] {
  const alternatives: Alternative[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!t.quoted && (t.text === "eof" || t.text === "timeout")) {
      if (alternatives.some((a) => a.kind === t.text)) {
        throw new SockitError(`Cannot ${action}: ${t.text} is listed twice`, { code: "usage" });
      }
      alternatives.push({ kind: t.text, text: t.text } as Alternative);
      continue;
    }
    let text = t.text;
    if (!t.quoted) {
      // A regex may hold spaces: take it as typed, up to the token that closes it.
      let j = i;
      while (j < tokens.length - 1 && !closesRegex(line.slice(t.start, tokens[j].end))) j++;
      text = line.slice(t.start, tokens[j].end);
      i = j;
    }
    alternatives.push({ kind: "regex", regex: parseRegex(text, action), text });
  }
  if (alternatives.length === 0) {
    throw new SockitError(`Cannot ${action}: nothing to expect`, {
      code: "usage",
      hint: "usage: expect NAME /REGEX/ [/REGEX/…] [eof] [timeout]",
    });
  }
  return alternatives;
}

/** The names of a regex's named groups: what a match of it defines as variables. */
export function groupNames(re: RegExp): string[] {
  return [...re.source.matchAll(/\(\?<([A-Za-z_]\w*)>/g)].map((m) => m[1]);
}

/** Never matches: the regex of an expect that waits only for `eof` or `timeout`. */
const NEVER = /(?!)/;

/**
 * `expect NAME /A/ [/B/…] [eof] [timeout]`: reads until one alternative matches; consumes
 * through the match. With several, the match that starts first in the stream wins (on a tie,
 * the first listed), and the result says which (`matched 2 /B/`, 1-based). `eof` and `timeout`,
 * when listed, are outcomes rather than errors: eof takes the rest of the stream, timeout takes
 * nothing (the bytes stay buffered, and `before` holds a copy). Named groups of the regex that
 * matched become variables.
 */
export const expect = readingCommand({
  name: "expect",
  usage: "expect NAME /REGEX/ [/REGEX/…] [eof] [timeout]",
  summary: "receive until a /REGEX/ matches (or eof, timeout when listed); says which matched",
  details:
    "The regex runs over the buffered bytes: text in it (/héllo/) matches its UTF-8 bytes,\n" +
    "and \\xHH one raw byte (/\\x00\\xff/): the bytes are seen one per character, so . and\n" +
    "[...] match one byte (\\S+ takes a word whatever its letters).\n" +
    "With alternatives, the earliest match in the stream wins (ties: the first listed), and the\n" +
    "result starts with `matched N ALT`. Named groups become variables: ${id}; vars lists them.\n" +
    "Examples:\n  expect a /^\\+OK.*\\r\\n/\n  expect a /login: /i /\\$ $/ eof timeout\n" +
    "  expect a /id=(?<id>\\d+)/      then: send a ${id}",
  args: ["socket", "none"],
  minArgs: 2,
  script: { reads: "any", regex: 1 },
  action: "expect on",
  reader(args, name) {
    const alternatives = parseAlternatives(
      args.positional.slice(1),
      args.line,
      `expect on "${name}"`,
    );
    const regexes = alternatives.filter((a) => a.kind === "regex");
    const listed = (kind: "eof" | "timeout") => alternatives.findIndex((a) => a.kind === kind);
    const several = alternatives.length > 1;
    const matched = (i: number): Matched => ({ index: i + 1, text: alternatives[i].text });
    return async (socket, opts) => {
      const list = regexes.length ? regexes.map((a) => a.regex) : [NEVER];
      const read = await socket.buffer.recvMatch(several ? list : list[0], opts);
      if (read.status === "ok") {
        if (!several) return read;
        const i = alternatives.indexOf(regexes[read.alternative ?? 0]);
        return { ...read, matched: matched(i), before: read.data.subarray(0, read.match!.index) };
      }
      if (read.status === "eof" && listed("eof") >= 0) {
        const buffer = socket.buffer as Partial<ReceiveBuffer>;
        const rest = typeof buffer.drain === "function" ? buffer.drain() : new Uint8Array(0);
        return { status: "ok", data: rest, matched: matched(listed("eof")), before: rest };
      }
      if (read.status === "timeout" && listed("timeout") >= 0) {
        const none = new Uint8Array(0);
        return { status: "ok", data: none, matched: matched(listed("timeout")), before: read.data };
      }
      return read;
    };
  },
});
