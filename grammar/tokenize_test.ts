import assert from "node:assert/strict";
import { SockitError } from "./errors.ts";
import { splitStatements, tokenize } from "./tokenize.ts";

const texts = (line: string) => tokenize(line).map((t) => t.text);

Deno.test("tokenize() splits bare words on any whitespace", () => {
  assert.deepEqual(texts("  send\ta   hello  "), ["send", "a", "hello"]);
});

Deno.test("tokenize() returns nothing for an empty or blank line", () => {
  assert.deepEqual(tokenize(""), []);
  assert.deepEqual(tokenize("   \t "), []);
});

Deno.test("tokenize() records columns and spaceBefore for each token", () => {
  assert.deepEqual(tokenize(`ab "c d"'e'`), [
    { text: "ab", quoted: false, spaceBefore: true, start: 0, end: 2 },
    { text: "c d", quoted: true, quote: '"', spaceBefore: true, start: 3, end: 8 },
    { text: "e", quoted: true, quote: "'", spaceBefore: false, start: 8, end: 11 },
  ]);
});

Deno.test("a quote glued to a word starts a new token without spaceBefore", () => {
  const [hello, nl, world] = tokenize('hello"\\n"world');
  assert.equal(hello.text, "hello");
  assert.equal(nl.text, "\\n");
  assert.equal(nl.spaceBefore, false);
  assert.equal(world.text, "world");
  assert.equal(world.spaceBefore, false);
});

Deno.test('double-quoted text keeps escapes raw and \\" does not end it', () => {
  const [t] = tokenize(String.raw`"say \"hi\" \\"`);
  assert.equal(t.text, String.raw`say \"hi\" \\`);
  assert.equal(t.end, 15);
});

Deno.test("single-quoted text has no escapes: a backslash is literal", () => {
  const [a, b] = tokenize(String.raw`'a\' b`);
  assert.equal(a.text, "a\\");
  assert.equal(b.text, "b");
});

Deno.test("an empty quoted string is a token", () => {
  assert.deepEqual(tokenize(`""`), [
    { text: "", quoted: true, quote: '"', spaceBefore: true, start: 0, end: 2 },
  ]);
});

Deno.test("a # starting a bare token begins a comment", () => {
  assert.deepEqual(texts("# whole line"), []);
  assert.deepEqual(texts('send a x # "unterminated'), ["send", "a", "x"]);
});

Deno.test("a # inside a word, glued to a token or in quotes is not a comment", () => {
  assert.deepEqual(texts('a#b "#c" "x"#y'), ["a#b", "#c", "x", "#y"]);
});

Deno.test("tokenize() throws for an unterminated string, naming the column and the rest", () => {
  assert.throws(
    () => tokenize('send a "abc'),
    (e: unknown) =>
      e instanceof SockitError && e.message === 'Unterminated string starting at column 8: "abc',
  );
  assert.throws(() => tokenize("x 'abc"), /Unterminated string starting at column 3: 'abc/);
  assert.throws(() => tokenize(String.raw`"abc\"`), SockitError);
});

Deno.test("splitStatements() splits on ; and newlines, trimming and dropping empty ones", () => {
  assert.deepEqual(splitStatements(" a 1 ;b;;\n\n c \r\n"), ["a 1", "b", "c"]);
  assert.deepEqual(splitStatements(""), []);
});

Deno.test("splitStatements() keeps ; inside quotes", () => {
  assert.deepEqual(splitStatements(`send a "x;y" ';' ; recv a`), [
    `send a "x;y" ';'`,
    "recv a",
  ]);
  assert.deepEqual(splitStatements(String.raw`send a "\";" ; z`), [String.raw`send a "\";"`, "z"]);
});

Deno.test("splitStatements() lets a comment run to the end of its line", () => {
  assert.deepEqual(splitStatements("a # b; c\nd"), ["a # b; c", "d"]);
  assert.deepEqual(splitStatements("a#b; c"), ["a#b", "c"]);
});

Deno.test("splitStatements() ends an unterminated quote at the newline", () => {
  const statements = splitStatements('send a "abc\nrecv a');
  assert.deepEqual(statements, ['send a "abc', "recv a"]);
  assert.throws(() => tokenize(statements[0]), SockitError);
});
