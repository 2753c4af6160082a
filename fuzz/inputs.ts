/**
 * Generated hostile input for the fuzzers: command lines (mostly well-formed enough to reach a
 * command, with hostile tokens) and scripts (lines of every kind the parser classifies).
 * Addresses are loopback only, ports 0 or 1, paths in a folder the fuzzer owns.
 *
 * @example Sampling a few lines
 * ```ts
 * import assert from "node:assert/strict";
 * import fc from "fast-check";
 * import { commandLine } from "./inputs.ts";
 * const lines = fc.sample(commandLine("/tmp/x"), { numRuns: 5, seed: 1 });
 * assert.equal(lines.length, 5);
 * ```
 *
 * @module
 */
import fc from "fast-check";
import { COMMANDS } from "../commands/mod.ts";

const NAMES = ["a", "b", "srv", "srv.1", "srv.*", "e", "u", "u.1", "*", "a*", "-x", "1a", ""];
const WORDS = [
  "tcp",
  "udp",
  "unix",
  "tls",
  "echo",
  "chat",
  "ack",
  "discard",
  "daytime",
  "start",
  "stop",
  "timeout",
  "display",
  "hex",
  "text",
  "auto",
  "line",
  "crlf",
  "u16",
  "u32",
  "netstring",
  "none",
];
const ADDRESSES = [
  ":0",
  "127.0.0.1:0",
  "[::1]:0",
  "localhost:0",
  "127.0.0.1:1",
  ":",
  "[::1]",
  "127.0.0.1:99999",
  "[127.0.0.1]:0",
  ":-1",
  "a:b",
];
const OPTIONS = [
  "--timeout",
  "--crlf",
  "--frame",
  "--max",
  "--force",
  "--cert",
  "--all",
  "--",
  "-",
  "--timeout=1ms",
  "--nope",
];
const VALUES = [
  "0",
  "1",
  "-1",
  "1ms",
  "0ms",
  "2ms",
  "none",
  "1e9",
  "99999999999999",
  "35792m",
  "NaN",
  "0x10",
  "1.5",
  "4294967296",
];
const PAYLOADS = [
  "hex:41",
  "hex:zz",
  "hex:4",
  "b64:QQ==",
  "b64:!!",
  "@",
  "@/nonexistent/x",
  '"unterminated',
  "'single",
  '"\\k"',
  '"\\x4"',
  '"a\\nb"',
  "${x}",
  "${",
  "$${",
  "${a.local}",
  "/re(/",
  "/ok/i",
  '"\\u{1F600}"',
  "\u0000",
  "\r",
  "\u001b[2J",
  "é",
  "\uFFFF",
];

/** A command line: a command name (or near one) and hostile arguments, or any string. */
export function commandLine(dir: string): fc.Arbitrary<string> {
  const names = COMMANDS.map((c) => c.name);
  const token = fc.oneof(
    fc.constantFrom(...NAMES),
    fc.constantFrom(...WORDS),
    fc.constantFrom(...ADDRESSES),
    fc.constantFrom(...OPTIONS),
    fc.constantFrom(...VALUES),
    fc.constantFrom(...PAYLOADS),
    fc.constantFrom(`${dir}/s.sock`, `${dir}/f.bin`, `@${dir}/f.bin`, `${dir}/rec.sockit`),
    fc.string({ maxLength: 12 }),
    fc.string({ maxLength: 6, unit: "binary" }),
  );
  const head = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  );
  const shaped = fc.tuple(head, fc.array(token, { maxLength: 6 }), fc.constantFrom(" ", "  ", "\t"))
    .map(([h, rest, sep]) => [h, ...rest].join(sep));
  return fc.oneof(
    { weight: 6, arbitrary: shaped },
    { weight: 1, arbitrary: fc.string({ maxLength: 60, unit: "binary" }) },
  );
}

/** A script: lines of every kind (commands, observations, prompts, events, comments). */
export function scriptText(dir: string): fc.Arbitrary<string> {
  const observation = fc.oneof(
    fc.constantFrom(
      '"hello"',
      '"bad \\k"',
      '"open',
      "/o(k/",
      "/ok/",
      "! Cannot recv",
      "!",
      "00000000  00 ff 41  |..A|",
      "00000000  zz",
      'from ${a.local} "x"',
      "from ",
      "from x",
      '"x" (truncated)',
      " (truncated)",
      "${*}",
      "${id:\\d+}",
      "${:(}",
      "${",
      "${nope}",
      "a  open  tcp ${a.local} → ${srv.local}",
    ),
    fc.string({ maxLength: 20 }),
  ).map((o) => `  ${o}`);
  const line = fc.oneof(
    { weight: 4, arbitrary: commandLine(dir) },
    { weight: 3, arbitrary: observation },
    { weight: 1, arbitrary: commandLine(dir).map((l) => `sockit> ${l}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "sockit> ",
        "sockit>",
        "sockit> # c",
        "# comment",
        "",
        "   ",
        "[srv] accepted srv.1 from 127.0.0.1:1",
        "\t",
        "sockit>  \t",
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 30, unit: "binary" }) },
  );
  return fc.tuple(fc.array(line, { maxLength: 10 }), fc.constantFrom("\n", "\r\n", "\r"))
    .map(([lines, eol]) => lines.join(eol));
}
