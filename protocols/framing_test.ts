import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import fc from "fast-check";
import { type FrameName, framer } from "./framing.ts";
import { ReceiveBuffer } from "../sockets/receive_buffer.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const FRAMES: FrameName[] = ["line", "crlf", "u16", "u32", "netstring"];

/** Messages a frame can carry: delimited frames cannot hold their delimiter. */
function messages(name: FrameName) {
  const bytes = fc.uint8Array({ maxLength: 300 });
  const ok = name === "line"
    ? bytes.map((b) => b.map((x) => (x === 0x0a ? 0x41 : x)))
    : name === "crlf"
    ? bytes.map((b) => b.map((x) => (x === 0x0d ? 0x41 : x)))
    : bytes;
  return fc.array(ok, { maxLength: 12 });
}

/** Cuts `wire` at the given points. */
function cut(wire: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (wire.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const p of [...at, wire.length]) {
    pieces.push(wire.slice(from, p));
    from = p;
  }
  return pieces;
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

for (const name of FRAMES) {
  Deno.test(`${name}: the decoder returns every message whole, however the bytes are cut`, () => {
    fc.assert(fc.property(messages(name), fc.array(fc.nat()), (msgs, points) => {
      const f = framer(name);
      const decoder = f.decoder();
      const got: Uint8Array[] = [];
      for (const piece of cut(join(msgs.map((m) => f.encode(m))), points)) {
        for (const m of decoder.push(piece)) got.push(m.slice());
      }
      assertEquals(got, msgs);
      assertEquals(decoder.pending, 0);
    }));
  });

  Deno.test(`${name}: reads from a receive buffer return every message whole`, async () => {
    await fc.assert(
      fc.asyncProperty(messages(name), fc.array(fc.nat()), async (msgs, points) => {
        const f = framer(name);
        const buffer = new ReceiveBuffer({ initialSize: 16 });
        const pieces = cut(join(msgs.map((m) => f.encode(m))), points);
        const got: Uint8Array[] = [];
        for (const piece of pieces) {
          buffer.push(piece);
          // Read every message that is complete now; an incomplete one times out and stays.
          while (true) {
            const r = await f.read(buffer, { timeout: 0 });
            if (r.status !== "ok") break;
            got.push(r.data);
          }
        }
        assertEquals(got, msgs);
        assertEquals(buffer.size, 0);
      }),
      { numRuns: 50 },
    );
  });
}

Deno.test("a framed read that times out keeps the length prefix buffered", async () => {
  const u32 = framer("u32");
  const buffer = new ReceiveBuffer();
  const wire = u32.encode(enc("hello"));
  buffer.push(wire.subarray(0, 6));
  const r = await u32.read(buffer, { timeout: 20 });
  assertEquals(r.status, "timeout");
  assertEquals(buffer.size, 6);
  buffer.push(wire.subarray(6));
  assertEquals((await u32.read(buffer, { timeout: 20 })).data, enc("hello"));
});

Deno.test("a framed read at end of stream reports eof and keeps the partial frame", async () => {
  const buffer = new ReceiveBuffer();
  buffer.push(enc("5:hel"));
  buffer.end();
  const r = await framer("netstring").read(buffer);
  assertEquals(r.status, "eof");
  assertEquals(buffer.size, 5);
});

Deno.test("a malformed netstring is an error, from a buffer and from a decoder", async () => {
  const buffer = new ReceiveBuffer();
  buffer.push(enc("x5:hello,"));
  const r = await framer("netstring").read(buffer);
  assertEquals(r.status, "error");
  assert(/Bad netstring/.test(r.error!.message));
  assertThrows(() => framer("netstring").decoder().push(enc("3:abc;")), /not followed by ","/);
  assertThrows(
    () => framer("netstring").decoder().push(enc("12345678901:")),
    /more than 10 digits/,
  );
});

Deno.test("frames refuse messages they cannot carry", () => {
  assertThrows(() => framer("line").encode(enc("a\nb")), /contains the delimiter at byte 1/);
  assertThrows(
    () => framer("u16").encode(new Uint8Array(70_000)),
    /larger than the 65535-byte limit/,
  );
  assertThrows(() => framer("u32").decoder().push(new Uint8Array([0xff, 0, 0, 0])), /limit/);
});

Deno.test("an unknown frame name suggests the nearest", () => {
  assertThrows(
    () => framer("netstrng"),
    (e: Error & { hint?: string }) => e.hint === "did you mean netstring?",
  );
});
