import assert from "node:assert/strict";
import fc from "fast-check";
import { SockitError } from "./errors.ts";
import { decodeEscapes } from "./payload.ts";
import {
  type DisplayMode,
  hexdump,
  isHexdumpLine,
  isText,
  parseRendered,
  quote,
  render,
} from "./render.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => new Uint8Array(b);
const modes: DisplayMode[] = ["auto", "text", "hex"];

Deno.test("isText() accepts UTF-8 with newlines, returns and tabs", () => {
  assert.equal(isText(enc("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), true);
  assert.equal(isText(enc("tab\there, ünïcödé, 😀")), true);
  assert.equal(isText(bytes()), true);
});

Deno.test("isText() rejects other control bytes", () => {
  for (const b of [0x00, 0x01, 0x1b, 0x7f]) {
    assert.equal(isText(bytes(0x41, b)), false, `byte ${b}`);
  }
  assert.equal(isText(enc("a\u0085b")), false, "C1 control");
});

Deno.test("isText() rejects invalid UTF-8", () => {
  for (
    const bad of [
      [0xff],
      [0xc3], // truncated
      [0xc0, 0x80], // overlong
      [0xe0, 0x80, 0x80], // overlong
      [0xed, 0xa0, 0x80], // surrogate
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0x80], // lone continuation
    ]
  ) {
    assert.equal(isText(new Uint8Array(bad)), false, `bytes ${bad}`);
  }
});

Deno.test("quote() escapes specials and keeps printable UTF-8", () => {
  assert.equal(quote(enc('a"b\\c\n\r\t\0é')), String.raw`"a\"b\\c\n\r\t\0é"`);
  assert.equal(quote(bytes(0x1b, 0x7f, 0xff, 0xc3)), String.raw`"\x1b\x7f\xff\xc3"`);
  assert.equal(quote(enc("\u0085")), String.raw`"\xc2\x85"`);
  assert.equal(quote(enc("\ufeffBOM")), String.raw`"\u{feff}BOM"`, "a BOM is invisible: escaped");
  assert.equal(quote(bytes()), '""');
});

Deno.test("hexdump() shows 16 bytes a line in two groups with an ASCII gutter", () => {
  const data = enc("Hello world\n\x00\x01\x02\x03ABC");
  assert.equal(
    hexdump(data),
    "00000000  48 65 6c 6c 6f 20 77 6f  72 6c 64 0a 00 01 02 03  |Hello world.....|\n" +
      "00000010  41 42 43                                          |ABC|",
  );
  assert.equal(hexdump(bytes()), "");
});

Deno.test("hexdump() aligns the gutter on a short second group", () => {
  const line = hexdump(new Uint8Array(9).fill(0x7c));
  assert.equal(
    line,
    "00000000  7c 7c 7c 7c 7c 7c 7c 7c  7c" + " ".repeat(21) + "  |" + "|".repeat(9) + "|",
  );
});

Deno.test("render() quotes text and hexdumps binary in auto mode", () => {
  assert.equal(render(enc("OK\r\n")), '"OK\\r\\n"');
  assert.equal(render(bytes(0, 0x41)), "00000000  00 41" + " ".repeat(45) + "|.A|");
  assert.equal(render(enc("OK")), render(enc("OK"), "auto"));
});

Deno.test("render() forces a form in text and hex modes", () => {
  assert.equal(render(bytes(0, 0x41), "text"), String.raw`"\0A"`);
  assert.equal(render(enc("A"), "hex"), "00000000  41" + " ".repeat(48) + "|A|");
});

Deno.test('render() shows empty input as "" in every mode', () => {
  for (const mode of modes) assert.equal(render(bytes(), mode), '""');
});

Deno.test("isHexdumpLine() recognises dump lines with or without a gutter", () => {
  assert.equal(isHexdumpLine("00000000  48 65  |He|"), true);
  assert.equal(isHexdumpLine("00000010  41"), true);
  assert.equal(isHexdumpLine("  00000010 41 42 43   |A|B|  "), true);
  assert.equal(isHexdumpLine('"hello"'), false);
  assert.equal(isHexdumpLine("00000000"), false);
  assert.equal(isHexdumpLine("0000  41"), false);
  assert.equal(isHexdumpLine("00000000  4"), false);
  assert.equal(isHexdumpLine("00000000  " + "41 ".repeat(17)), false);
});

Deno.test("parseRendered() reads a quoted string", () => {
  assert.deepEqual(parseRendered(String.raw`"a\n\xff"`), bytes(0x61, 0x0a, 0xff));
  assert.deepEqual(parseRendered('  "x"\n'), enc("x"));
  assert.deepEqual(parseRendered('""'), bytes());
});

Deno.test("parseRendered() reads hexdump lines, ignoring offsets and the gutter", () => {
  const dump = "00000000  30 31  |01|\n\n00000099  32 7c  |2||\n00000004\n";
  assert.deepEqual(parseRendered(dump), enc("012|"));
});

Deno.test("parseRendered() throws for malformed input", () => {
  const cases: [string, RegExp][] = [
    ["", /^Bad rendered bytes "": expected a "quoted" string or hexdump lines$/],
    ["hello", /^Bad rendered bytes "hello"/],
    ['"abc', /^Unterminated string starting at column 1: "abc$/],
    ['"a" "b"', /^Bad quoted bytes "a" "b": expected one "quoted" string$/],
    ['"a\nb"', /^Bad quoted bytes "a\\nb": must be on one line$/],
    [String.raw`"\q"`, /^Bad escape "\\q" in "\\q"$/],
    ["00000000  41 42  |AB|\n00000010  4x", /^Bad hexdump line 2 "00000010 {2}4x"/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseRendered(text), (e: unknown) => {
      assert.ok(e instanceof SockitError, `expected a SockitError for ${JSON.stringify(text)}`);
      assert.match(e.message, message);
      assert.ok(!e.message.includes("\n"), "one-line message");
      return true;
    });
  }
});

Deno.test("parseRendered() inverts render() for arbitrary bytes in every mode", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), fc.constantFrom(...modes), (b, mode) => {
      assert.deepEqual(parseRendered(render(b, mode)), b);
    }),
    { numRuns: 500 },
  );
});

Deno.test("parseRendered() inverts render() for arbitrary text", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), fc.constantFrom(...modes), (s, mode) => {
      const b = enc(s);
      assert.deepEqual(parseRendered(render(b, mode)), b);
    }),
  );
});

Deno.test("decodeEscapes() inverts quote() for arbitrary bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
      const q = quote(b);
      assert.ok(q.startsWith('"') && q.endsWith('"'));
      assert.ok(
        [...q].every((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f),
        "no raw control characters",
      );
      assert.deepEqual(decodeEscapes(q.slice(1, -1)), b);
    }),
    { numRuns: 500 },
  );
});

Deno.test("every line render() makes in hex mode is a hexdump line", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 70 }), (b) => {
      for (const line of render(b, "hex").split("\n")) assert.ok(isHexdumpLine(line), line);
    }),
  );
});

Deno.test("text that isText() accepts renders as a quoted string", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme" }), (s) => {
      const b = enc(s);
      if (isText(b) && b.length > 0) assert.ok(render(b).startsWith('"'));
    }),
  );
});

Deno.test("hexdump() squeezes repeated lines with * as hexdump -C does", () => {
  const data = new Uint8Array(16 * 5 + 3);
  data.fill(0x41, 0, 16);
  data.fill(0x42, 64, 83);
  const got = hexdump(data);
  const expected = new TextDecoder().decode(hexdumpC(data)).trimEnd();
  assert.equal(got, expected);
});

/** What `hexdump -C` prints for the bytes (util-linux is on every test machine). */
function hexdumpC(data: Uint8Array): Uint8Array {
  const file = Deno.makeTempFileSync();
  try {
    Deno.writeFileSync(file, data);
    return new Deno.Command("hexdump", { args: ["-C", file] }).outputSync().stdout;
  } finally {
    Deno.removeSync(file);
  }
}

Deno.test("parseRendered() reads squeezed dumps back, a squeeze at the end included", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(0, 0x41, 0xff), fc.integer({ min: 1, max: 70 })), {
        maxLength: 6,
      }),
      (runs) => {
        const data = new Uint8Array(runs.flatMap(([b, n]) => Array(n).fill(b)));
        assert.deepEqual(parseRendered(render(data, "hex")), data);
      },
    ),
  );
});

Deno.test("parseRendered() rejects a * that nothing follows", () => {
  assert.throws(() => parseRendered(hexdump(new Uint8Array(16)) + "\n*"), SockitError);
});

Deno.test("quote() escapes bidi controls and invisible characters as \\u{…}, and reads back", () => {
  const spoof = enc("invoice\u202Efdp.exe \u200b\u2066x\u2069\ufeff");
  const shown = quote(spoof);
  assert.equal(shown, '"invoice\\u{202e}fdp.exe \\u{200b}\\u{2066}x\\u{2069}\\u{feff}"');
  assert.deepEqual(parseRendered(shown), spoof);
  assert.deepEqual(decodeEscapes("\\u{41}\\u{e9}\\u{1f600}"), enc("Aé😀"));
});

Deno.test("decodeEscapes() refuses a \\u without braces, a surrogate or a code point past 10ffff", () => {
  for (const bad of ["\\u202e", "\\u{}", "\\u{d800}", "\\u{110000}", "\\u{1234567}"]) {
    assert.throws(() => decodeEscapes(bad), SockitError, bad);
  }
});
