import assert from "node:assert/strict";
import { SockitError } from "./errors.ts";
import { tokenize } from "./tokenize.ts";
import {
  decodeEscapes,
  parseLiteral,
  parsePayload,
  payloadBytes,
  type PayloadPart,
  payloadSize,
} from "./payload.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => new Uint8Array(b);
const literal = (word: string) => parseLiteral(tokenize(word)[0]);
const sent = async (line: string) =>
  new TextDecoder().decode(await payloadBytes(parsePayload(tokenize(line))));

function throwsMessage(fn: () => unknown, message: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SockitError, `expected a SockitError, got ${e}`);
    assert.equal(e.message, message);
    return true;
  });
}

async function withTempFile(content: Uint8Array, fn: (path: string) => Promise<void>) {
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeFile(path, content);
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("decodeEscapes() decodes every escape", () => {
  assert.deepEqual(
    decodeEscapes(String.raw`\n\r\t\0\\\"\'\e\x41\xff\x0A`),
    bytes(10, 13, 9, 0, 0x5c, 0x22, 0x27, 0x1b, 0x41, 0xff, 0x0a),
  );
});

Deno.test("decodeEscapes() encodes other characters as UTF-8", () => {
  assert.deepEqual(decodeEscapes("é😀"), enc("é😀"));
  assert.deepEqual(decodeEscapes(""), bytes());
  assert.deepEqual(decodeEscapes(String.raw`a\nb`), enc("a\nb"));
});

Deno.test("decodeEscapes() throws for a bad escape, naming it and the string", () => {
  throwsMessage(() => decodeEscapes(String.raw`a\qb`), String.raw`Bad escape "\q" in "a\qb"`);
  throwsMessage(() => decodeEscapes("ab\\"), 'Bad escape "\\" in "ab\\"');
  throwsMessage(() => decodeEscapes(String.raw`\x4g`), String.raw`Bad escape "\x4g" in "\x4g"`);
  throwsMessage(() => decodeEscapes(String.raw`\x4`), String.raw`Bad escape "\x4" in "\x4"`);
  throwsMessage(() => decodeEscapes(String.raw`\😀`), String.raw`Bad escape "\😀" in "\😀"`);
});

Deno.test("a bare word is its UTF-8 bytes", () => {
  assert.deepEqual(literal("héllo"), { kind: "bytes", bytes: enc("héllo") });
  assert.deepEqual(literal(String.raw`a\n`), { kind: "bytes", bytes: enc("a\\n") });
});

Deno.test("a double-quoted literal decodes escapes, a single-quoted one does not", () => {
  assert.deepEqual(literal(String.raw`"a\tb"`), { kind: "bytes", bytes: enc("a\tb") });
  assert.deepEqual(literal(String.raw`'a\tb'`), { kind: "bytes", bytes: enc("a\\tb") });
});

Deno.test("hex: literals take an even number of hex digits in either case", () => {
  assert.deepEqual(literal("hex:48656C6c6f"), { kind: "bytes", bytes: enc("Hello") });
  assert.deepEqual(literal("hex:"), { kind: "bytes", bytes: bytes() });
});

Deno.test("hex: literals ignore _ and : separators", () => {
  assert.deepEqual(literal("hex:de:ad_be:ef"), {
    kind: "bytes",
    bytes: bytes(0xde, 0xad, 0xbe, 0xef),
  });
});

Deno.test("a bad hex: literal names the literal and the problem", () => {
  throwsMessage(() => literal("hex:4g"), 'Bad hex literal "hex:4g": not a hex digit "g"');
  throwsMessage(
    () => literal("hex:414"),
    'Bad hex literal "hex:414": odd number of hex digits (3)',
  );
});

Deno.test("b64: literals are standard base64 with padding", () => {
  assert.deepEqual(literal("b64:SGVsbG8="), { kind: "bytes", bytes: enc("Hello") });
  assert.deepEqual(literal("b64:+/8="), { kind: "bytes", bytes: bytes(0xfb, 0xff) });
  assert.deepEqual(literal("b64:"), { kind: "bytes", bytes: bytes() });
});

Deno.test("a bad b64: literal names the literal", () => {
  for (const bad of ["b64:@@", "b64:SGVsbG8", "b64:-_8=", "b64:SGVsbG8=="]) {
    throwsMessage(() => literal(bad), `Bad base64 literal "${bad}"`);
  }
});

Deno.test("@path is a file reference and a lone @ is an error", () => {
  assert.deepEqual(literal("@dir/req.txt"), { kind: "file", path: "dir/req.txt" });
  throwsMessage(() => literal("@"), 'Bad file reference "@": missing path');
});

Deno.test("a quoted token is never a prefix literal", () => {
  assert.deepEqual(literal('"hex:41"'), { kind: "bytes", bytes: enc("hex:41") });
  assert.deepEqual(literal("'b64:@@'"), { kind: "bytes", bytes: enc("b64:@@") });
  assert.deepEqual(literal('"@file"'), { kind: "bytes", bytes: enc("@file") });
});

Deno.test("bare words are joined with single spaces", async () => {
  assert.equal(await sent("hello world"), "hello world");
  assert.equal(await sent("hello    world"), "hello world");
});

Deno.test("quoted strings join with nothing", async () => {
  assert.equal(await sent('hello "\\n"'), "hello\n");
  assert.equal(await sent('"a" "b"'), "ab");
  assert.equal(await sent(`"a" 'b' c`), "abc");
  assert.equal(await sent(`a "b" c`), "abc");
  assert.equal(await sent(`"a b" " c"`), "a b c");
});

Deno.test("prefix literals join with nothing", async () => {
  assert.equal(await sent("hex:41 B"), "AB");
  assert.equal(await sent("A hex:42 b64:Qw== D"), "ABCD");
});

Deno.test("glued tokens join with nothing", async () => {
  assert.equal(await sent(`a"b"c`), "abc");
});

Deno.test("parsePayload() merges adjacent byte parts and keeps files apart", () => {
  const parts: PayloadPart[] = parsePayload(tokenize(`x y hex:0a @a.txt @b.txt "!" z`));
  assert.deepEqual(parts, [
    { kind: "bytes", bytes: enc("x y\n") },
    { kind: "file", path: "a.txt" },
    { kind: "file", path: "b.txt" },
    { kind: "bytes", bytes: enc("!z") },
  ]);
  assert.deepEqual(parsePayload([]), []);
});

Deno.test("parsePayload() reports the first bad literal", () => {
  assert.throws(() => parsePayload(tokenize("ok hex:1")), /Bad hex literal "hex:1"/);
});

Deno.test("payloadBytes() reads files fully, in order", async () => {
  await withTempFile(bytes(0, 1, 2, 0xff), async (path) => {
    const parts = parsePayload(tokenize(`<< @${path} >>`));
    assert.deepEqual(await payloadBytes(parts), bytes(0x3c, 0x3c, 0, 1, 2, 0xff, 0x3e, 0x3e));
    assert.equal(await payloadSize(parts), 8);
  });
});

Deno.test("payloadBytes() of no parts is empty", async () => {
  assert.deepEqual(await payloadBytes([]), bytes());
  assert.equal(await payloadSize([]), 0);
});

Deno.test("payloadBytes() refuses a file over maxFileBytes", async () => {
  await withTempFile(enc("12345"), async (path) => {
    const parts: PayloadPart[] = [{ kind: "file", path }];
    assert.deepEqual(await payloadBytes(parts, 5), enc("12345"));
    await assert.rejects(
      payloadBytes(parts, 4),
      (e: unknown) =>
        e instanceof SockitError &&
        e.message === `Cannot read file "${path}": 5 bytes is over the limit of 4`,
    );
  });
});

Deno.test("a missing file is reported by payloadBytes() and payloadSize()", async () => {
  const parts: PayloadPart[] = [{ kind: "file", path: "nofile.txt" }];
  for (
    const run of [
      () => payloadBytes(parts),
      () => payloadBytes(parts, 10),
      () => payloadSize(parts),
    ]
  ) {
    await assert.rejects(
      run(),
      (e: unknown) =>
        e instanceof SockitError && e.message === 'Cannot read file "nofile.txt": not found',
    );
  }
});

Deno.test("a directory is not a file to send", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      payloadBytes([{ kind: "file", path: dir }]),
      (e: unknown) =>
        e instanceof SockitError && e.message === `Cannot read file "${dir}": is a directory`,
    );
  } finally {
    await Deno.remove(dir);
  }
});
