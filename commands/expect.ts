import { SockitError } from "../grammar/errors.ts";
import { readingCommand } from "./reading.ts";

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

/** `expect NAME /REGEX/`: reads until the regex matches; consumes through the match. */
export const expect = readingCommand({
  name: "expect",
  usage: "expect NAME /REGEX/",
  summary: "receive until /REGEX/ matches; returns everything through the match",
  details:
    "The regex runs over the buffered bytes: text in it (/héllo/) matches its UTF-8 bytes,\n" +
    "and \\xHH one raw byte (/\\x00\\xff/): the bytes are seen one per character, so . and\n" +
    "[...] match one byte (\\S+ takes a word whatever its letters).\n" +
    "Example:\n  expect a /^\\+OK.*\\r\\n/",
  args: ["socket", "none"],
  minArgs: 2,
  script: { reads: "any", regex: 1 },
  action: "expect on",
  reader(args, name) {
    const [first, ...rest] = args.positional.slice(1);
    // A regex may hold spaces: take it as typed, from its first to its last token.
    const text = rest.length === 0 && first.quoted
      ? first.text
      : args.line.slice(first.start, (rest.at(-1) ?? first).end);
    const re = parseRegex(text, `expect on "${name}"`);
    return (socket, opts) => socket.buffer.recvMatch(re, opts);
  },
});
