import nodeAssert from "node:assert/strict";
import fc from "fast-check";
import { type ReadResult, ReceiveBuffer } from "./receive_buffer.ts";
import { SockitError } from "../grammar/errors.ts";

const assert: (cond: unknown, msg?: string) => asserts cond = nodeAssert.ok;
const assertEquals = <T>(actual: T, expected: T) => nodeAssert.deepStrictEqual(actual, expected);
function assertThrows(fn: () => unknown, cls: new (...a: never[]) => Error, includes = ""): void {
  nodeAssert.throws(fn, (e: unknown) => e instanceof cls && e.message.includes(includes));
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (...xs: number[]) => new Uint8Array(xs);
const tick = () => new Promise<void>((r) => setTimeout(r, 0));

Deno.test("recv() returns buffered bytes first", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("hello"));
  const r = await buf.recv(100);
  assertEquals(r.status, "ok");
  assertEquals(dec(r.data), "hello");
  assertEquals(buf.size, 0);
});

Deno.test("recv() returns at most max bytes and keeps the rest", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("hello"));
  assertEquals(dec((await buf.recv(2)).data), "he");
  assertEquals(dec(buf.peek()), "llo");
});

Deno.test("recv() waits for the first byte to arrive", async () => {
  const buf = new ReceiveBuffer();
  const p = buf.recv(10);
  await tick();
  buf.push(enc("x"));
  const r = await p;
  assertEquals(r.status, "ok");
  assertEquals(dec(r.data), "x");
});

Deno.test("recv() of zero or negative bytes throws a SockitError naming the value", () => {
  const buf = new ReceiveBuffer();
  assertThrows(() => buf.recv(0), SockitError, "0");
  assertThrows(() => buf.recv(-3), SockitError, "-3");
  assertThrows(() => buf.recvExact(-1), SockitError, "-1");
});

Deno.test("recvExact() waits until exactly n bytes are buffered", async () => {
  const buf = new ReceiveBuffer();
  const p = buf.recvExact(6);
  buf.push(enc("hel"));
  await tick();
  buf.push(enc("lo world"));
  const r = await p;
  assertEquals(r.status, "ok");
  assertEquals(dec(r.data), "hello ");
  assertEquals(dec(buf.peek()), "world");
});

Deno.test("recvExact(0) succeeds at once with no bytes", async () => {
  const buf = new ReceiveBuffer();
  assertEquals(await buf.recvExact(0), { status: "ok", data: new Uint8Array() });
});

Deno.test("a timeout puts partial bytes back and consumes nothing", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("par"));
  const r = await buf.recvExact(10, { timeout: 10 });
  assertEquals(r.status, "timeout");
  assertEquals(dec(r.data), "par");
  assertEquals(buf.size, 3);
  buf.push(enc("tial bytes"));
  assertEquals(dec((await buf.recvExact(10)).data), "partial by");
});

Deno.test("a timeout of a line read leaves the partial line buffered", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("no newline"));
  const r = await buf.recvLine({ timeout: 5 });
  assertEquals(r.status, "timeout");
  assertEquals(dec(r.data), "no newline");
  buf.push(enc(" yet\n"));
  assertEquals(dec((await buf.recvLine()).data), "no newline yet\n");
});

Deno.test("the deadline is overall and not reset by arriving chunks", async () => {
  const buf = new ReceiveBuffer();
  const started = Date.now();
  const p = buf.recvLine({ timeout: 60 });
  const id = setInterval(() => buf.push(enc("x")), 10);
  const r = await p;
  clearInterval(id);
  assertEquals(r.status, "timeout");
  assert(Date.now() - started < 1000);
  assert(r.data.length > 0);
});

Deno.test("reads are served one at a time in call order", async () => {
  const buf = new ReceiveBuffer();
  const a = buf.recvExact(3);
  const b = buf.recvLine();
  const c = buf.recv(100);
  buf.push(enc("abcline\nrest"));
  assertEquals(dec((await a).data), "abc");
  assertEquals(dec((await b).data), "line\n");
  assertEquals(dec((await c).data), "rest");
});

Deno.test("a queued read's timeout counts from its call, not from its turn", async () => {
  const buf = new ReceiveBuffer();
  const first = buf.recvExact(5, { timeout: 200 });
  const second = buf.recv(1, { timeout: 20 });
  const r2 = await second;
  assertEquals(r2.status, "timeout");
  buf.push(enc("12345x"));
  assertEquals((await first).status, "ok");
  assertEquals(dec(buf.peek()), "x");
});

Deno.test("when the head read times out, the next read gets its turn", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("ab"));
  const first = buf.recvExact(5, { timeout: 10 });
  const second = buf.recv(10);
  assertEquals((await first).status, "timeout");
  assertEquals(dec((await second).data), "ab");
});

Deno.test("an aborted signal cancels a waiting read without consuming", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("abc"));
  const ac = new AbortController();
  const p = buf.recvUntil(enc("zz"), { signal: ac.signal, timeout: 5000 });
  ac.abort();
  const r = await p;
  assertEquals(r.status, "cancelled");
  assertEquals(dec(r.data), "abc");
  assertEquals(buf.size, 3);
});

Deno.test("a read with an already aborted signal is cancelled at once", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("abc"));
  const r = await buf.recv(10, { signal: AbortSignal.abort() });
  assertEquals(r.status, "cancelled");
  assertEquals(buf.size, 3);
});

Deno.test("recv() on an empty ended buffer says eof with no data", async () => {
  const buf = new ReceiveBuffer();
  buf.end();
  assertEquals(await buf.recv(10), { status: "eof", data: new Uint8Array() });
  assert(buf.ended);
});

Deno.test("recv() on an ended buffer still returns the remaining bytes first", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("last"));
  buf.end();
  assertEquals((await buf.recv(10)).status, "ok");
  assertEquals((await buf.recv(10)).status, "eof");
});

Deno.test("recvExact() past the end says eof and keeps the remaining bytes", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("ab"));
  const p = buf.recvExact(5);
  buf.end();
  const r = await p;
  assertEquals(r.status, "eof");
  assertEquals(dec(r.data), "ab");
  assertEquals(dec(buf.drain()), "ab");
});

Deno.test("end() resolves every waiting read that can no longer be satisfied", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("x\ny"));
  const a = buf.recvLine();
  const b = buf.recvLine();
  const c = buf.recvMatch(/q/);
  buf.end();
  assertEquals(dec((await a).data), "x\n");
  const rb = await b;
  assertEquals(rb.status, "eof");
  assertEquals(dec(rb.data), "y");
  assertEquals((await c).status, "eof");
});

Deno.test("pushes after end() are ignored", () => {
  const buf = new ReceiveBuffer();
  buf.end();
  buf.push(enc("late"));
  assertEquals(buf.size, 0);
});

Deno.test("fail() resolves waiting reads with the error", async () => {
  const buf = new ReceiveBuffer();
  const p = buf.recvExact(4);
  const err = new Error("connection reset");
  buf.fail(err);
  const r = await p;
  assertEquals(r.status, "error");
  assertEquals(r.error, err);
  assertEquals(buf.failed, err);
  assertEquals((await buf.recv(1)).status, "error");
});

Deno.test("after fail() buffered bytes are still readable first", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("ok\npartial"));
  buf.fail(new Error("boom"));
  assertEquals(dec((await buf.recvLine()).data), "ok\n");
  const r = await buf.recvLine();
  assertEquals(r.status, "error");
  assertEquals(dec(r.data), "partial");
  assertEquals(dec((await buf.recv(100)).data), "partial");
  assertEquals((await buf.recv(100)).status, "error");
});

Deno.test("recvUntil() includes the delimiter unless drop is set", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("a::b::c"));
  assertEquals(dec((await buf.recvUntil(enc("::"))).data), "a::");
  assertEquals(dec((await buf.recvUntil(enc("::"), { drop: true })).data), "b");
  assertEquals(dec(buf.peek()), "c");
});

Deno.test("recvUntil() finds a delimiter split across chunks", async () => {
  const buf = new ReceiveBuffer();
  const p = buf.recvUntil(enc("END"));
  for (const c of ["abcE", "N", "Dxyz"]) {
    buf.push(enc(c));
    await tick();
  }
  assertEquals(dec((await p).data), "abcEND");
  assertEquals(dec(buf.peek()), "xyz");
});

Deno.test("recvUntil() with several delimiters takes the one completing first", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("ab\r\n\r\ncd"));
  const r = await buf.recvUntil([enc("\r\n\r\n"), enc("\n")]);
  assertEquals(dec(r.data), "ab\r\n");
  const r2 = await buf.recvUntil([enc("d"), enc("\r\ncd")]);
  assertEquals(dec(r2.data), "\r\ncd");
});

Deno.test("recvUntil() rejects an empty delimiter list or delimiter", () => {
  const buf = new ReceiveBuffer();
  assertThrows(() => buf.recvUntil([]), SockitError);
  assertThrows(() => buf.recvUntil(new Uint8Array()), SockitError);
});

Deno.test("recvLine() returns one line with drop removing the newline", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("one\ntwo\n"));
  assertEquals(dec((await buf.recvLine()).data), "one\n");
  assertEquals(dec((await buf.recvLine({ drop: true })).data), "two");
});

Deno.test("recvUntil() across many one-byte chunks finds the delimiter without rescanning", async () => {
  const buf = new ReceiveBuffer({ initialSize: 16 });
  const p = buf.recvUntil(enc("<<END>>"));
  const n = 100_000;
  const filler = enc("<<END>");
  const started = performance.now();
  for (let i = 0; i < n; i++) buf.push(filler.subarray(i % 6, i % 6 + 1));
  buf.push(enc("<<END>>tail"));
  const r = await p;
  assertEquals(r.data.length, n + 7);
  assertEquals(dec(buf.peek()), "tail");
  assert(performance.now() - started < 1000);
});

Deno.test("recvMatch() consumes through the end of the first match", async () => {
  const buf = new ReceiveBuffer();
  const p = buf.recvMatch(/id=(\d+);/);
  buf.push(enc("xx id=4"));
  await tick();
  buf.push(enc("2; rest"));
  const r = await p;
  assertEquals(r.status, "ok");
  assertEquals(dec(r.data), "xx id=42;");
  assertEquals(r.match?.[1], "42");
  assertEquals(dec(buf.peek()), " rest");
});

Deno.test("recvMatch() matches bytes as latin1 characters", async () => {
  const buf = new ReceiveBuffer();
  buf.push(bytes(0x00, 0x80, 0x9f, 0xff, 0x41));
  const r = await buf.recvMatch(/\x9f\xff/);
  assertEquals(r.data, bytes(0x00, 0x80, 0x9f, 0xff));
  assertEquals(buf.peek(), bytes(0x41));
});

Deno.test("recvMatch() ignores the global flag and lastIndex of the given regex", async () => {
  const buf = new ReceiveBuffer();
  const re = /b/g;
  re.lastIndex = 5;
  buf.push(enc("abab"));
  assertEquals(dec((await buf.recvMatch(re)).data), "ab");
  assertEquals(dec((await buf.recvMatch(re)).data), "ab");
});

Deno.test("recvMatch() stays correct after other reads and drains in between", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("aaa"));
  assertEquals((await buf.recvMatch(/b/, { timeout: 0 })).status, "timeout");
  await buf.recv(1);
  buf.push(enc("ab"));
  assertEquals(dec((await buf.recvMatch(/ab/)).data), "aaab");
  buf.push(enc("zz"));
  assertEquals((await buf.recvMatch(/q/, { timeout: 0 })).status, "timeout");
  buf.drain();
  buf.push(enc("qq"));
  assertEquals(dec((await buf.recvMatch(/q/)).data), "q");
});

Deno.test("drain() takes everything buffered now without waiting", () => {
  const buf = new ReceiveBuffer();
  assertEquals(buf.drain(), new Uint8Array());
  buf.push(enc("abc"));
  assertEquals(dec(buf.drain()), "abc");
  assertEquals(buf.size, 0);
});

Deno.test("peek() returns a copy and consumes nothing", () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("abc"));
  const p = buf.peek();
  p[0] = 0;
  assertEquals(dec(buf.peek()), "abc");
});

Deno.test("push() copies the chunk so later changes to it do not leak in", async () => {
  const buf = new ReceiveBuffer();
  const chunk = enc("abc");
  buf.push(chunk);
  chunk[0] = 0x7a;
  assertEquals(dec((await buf.recv(3)).data), "abc");
});

Deno.test("the buffer grows beyond initialSize without losing bytes", async () => {
  const buf = new ReceiveBuffer({ initialSize: 4 });
  const all: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const chunk = bytes(...Array.from({ length: (i % 7) + 1 }, (_, j) => (i + j) & 0xff));
    all.push(...chunk);
    buf.push(chunk);
    if (i % 3 === 0) all.splice(0, (await buf.recv(5)).data.length);
  }
  assertEquals(buf.size, all.length);
  assertEquals(buf.drain(), new Uint8Array(all));
});

Deno.test("full is true at the cap and waitForSpace() resolves once a read frees space", async () => {
  const buf = new ReceiveBuffer({ cap: 8, initialSize: 4 });
  buf.push(enc("12345678"));
  assert(buf.full);
  buf.push(enc("9abc"));
  assertEquals(buf.size, 12);
  let freed = false;
  const space = buf.waitForSpace().then(() => freed = true);
  await tick();
  assertEquals(freed, false);
  await buf.recvExact(4);
  await tick();
  assertEquals(freed, false);
  await buf.recv(1);
  await space;
  assert(!buf.full);
  assertEquals(dec(buf.drain()), "6789abc");
});

Deno.test("a waiting read that needs more than the cap raises it for itself until it is served", async () => {
  const buf = new ReceiveBuffer({ cap: 4, initialSize: 4 });
  buf.push(enc("1234"));
  assert(buf.full);
  const space = buf.waitForSpace();
  const read = buf.recvExact(10);
  await space; // the pump is woken: the read needs 10 bytes buffered at once
  assert(!buf.full);
  buf.push(enc("56789a"));
  assertEquals(dec((await read).data), "123456789a");
  buf.push(enc("bcdefg"));
  assert(buf.full, "with no read waiting the cap is 4 again");
});

Deno.test("a delimiter or regex read raises the cap while it waits, and it drops back on timeout", async () => {
  const buf = new ReceiveBuffer({ cap: 4, initialSize: 4 });
  buf.push(enc("abcd"));
  const line = buf.recvLine({ timeout: 0 });
  assert(!buf.full);
  assertEquals((await line).status, "timeout");
  assert(buf.full);
  const match = buf.recvMatch(/x/);
  assert(!buf.full);
  buf.push(enc("efx"));
  assertEquals(dec((await match).data), "abcdefx");
});

Deno.test("a search that finds nothing within the read limit fails at once and keeps the bytes", async () => {
  const buf = new ReceiveBuffer({ cap: 4, limit: 8, initialSize: 4 });
  const line = buf.recvLine();
  buf.push(enc("abcdefgh"));
  const r = await line;
  assertEquals(r.status, "error");
  assert(r.error instanceof SockitError && r.error.code === "too-large");
  assertEquals(
    r.error.message,
    "no delimiter in 8 bytes, the most one read may buffer (receive buffer full)",
  );
  assertEquals(dec(r.data), "abcdefgh");
  assertEquals((await buf.recvMatch(/z/)).status, "error");
  assertEquals(buf.size, 8);
});

Deno.test("recvExact() above the read limit throws a too-large error naming the count", () => {
  const buf = new ReceiveBuffer({ limit: 2 ** 30 });
  nodeAssert.throws(
    () => buf.recvExact(2 ** 30 + 1),
    (e: unknown) =>
      e instanceof SockitError && e.code === "too-large" &&
      e.message === "Cannot recvExact 1073741825 bytes: one read may buffer at most 1 GiB",
  );
});

Deno.test("waitForSpace() resolves at once below the cap and on end()", async () => {
  const buf = new ReceiveBuffer({ cap: 2 });
  await buf.waitForSpace();
  buf.push(enc("abc"));
  const p = buf.waitForSpace();
  buf.end();
  await p;
  assertEquals(buf.size, 3);
});

Deno.test("reserve() and commit() write bytes without an extra copy", async () => {
  const buf = new ReceiveBuffer({ initialSize: 4 });
  const p = buf.recvLine();
  let view = buf.reserve(3);
  assert(view.length >= 3);
  view.set(enc("ab"));
  buf.commit(2);
  view = buf.reserve(10);
  assert(view.length >= 10);
  view.set(enc("cd\nef"));
  buf.commit(5);
  assertEquals(dec((await p).data), "abcd\n");
  assertEquals(dec(buf.peek()), "ef");
});

Deno.test("a read that empties the buffer during a reserve() keeps the committed bytes", async () => {
  const buf = new ReceiveBuffer();
  buf.push(enc("ab"));
  const view = buf.reserve(2);
  assertEquals(dec((await buf.recv(10)).data), "ab");
  view.set(enc("cd"));
  buf.commit(2);
  assertEquals(dec(buf.drain()), "cd");
});

Deno.test("commit() without reserve() or beyond the view throws", () => {
  const buf = new ReceiveBuffer({ initialSize: 4 });
  assertThrows(() => buf.commit(1), SockitError);
  const view = buf.reserve(1);
  assertThrows(() => buf.commit(view.length + 1), SockitError);
  assertThrows(() => buf.push(enc("x")), SockitError);
  buf.commit(0);
  buf.push(enc("x"));
  assertEquals(buf.size, 1);
});

// ---------------------------------------------------------------------------------------------
// Property: results depend on the byte stream, not on how it was split into chunks.

type Op =
  | { kind: "recv"; max: number }
  | { kind: "exact"; n: number }
  | { kind: "until"; delims: string[]; drop: boolean }
  | { kind: "line"; drop: boolean }
  | { kind: "match"; re: RegExp };

/** Fixed-length patterns: their first match never depends on chunking. */
const REGEXES = [/ab/, /a.b/, /[bc]\n/, /\d\d/, /\xff./, /(a)(b|c)/];
/** Biased towards delimiter bytes so that delimiters often straddle chunk boundaries. */
const ALPHABET = [0x61, 0x61, 0x62, 0x62, 0x63, 0x0a, 0x31, 0x32, 0xff];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("recv" as const), max: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant("exact" as const), n: fc.integer({ min: 0, max: 6 }) }),
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("until" as const),
      delims: fc.array(fc.constantFrom("\n", "ab", "b", "ba", "c\n", "\xff\xff"), {
        minLength: 1,
        maxLength: 3,
      }),
      drop: fc.boolean(),
    }),
  },
  fc.record({ kind: fc.constant("line" as const), drop: fc.boolean() }),
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("match" as const), re: fc.constantFrom(...REGEXES) }),
  },
);

const latin1Bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const toLatin1 = (b: Uint8Array) => String.fromCharCode(...b);

function run(buf: ReceiveBuffer, op: Op): Promise<ReadResult> {
  switch (op.kind) {
    case "recv":
      return buf.recv(op.max);
    case "exact":
      return buf.recvExact(op.n);
    case "until":
      return buf.recvUntil(op.delims.map(latin1Bytes), { drop: op.drop });
    case "line":
      return buf.recvLine({ drop: op.drop });
    case "match":
      return buf.recvMatch(op.re);
  }
}

interface Outcome {
  status: string;
  data: string;
  match?: string[];
}

const outcome = (r: ReadResult): Outcome => ({
  status: r.status,
  data: toLatin1(r.data),
  ...(r.match ? { match: [...r.match].map((m) => m ?? "") } : {}),
});

/**
 * The reference: the whole stream available and ended. recv() takes `recvSizes[i]` bytes when
 * given (what the chunked run observed: any 1..max is valid), else min(max, remaining).
 */
function model(
  stream: string,
  ops: Op[],
  recvSizes: (number | undefined)[],
): { results: Outcome[]; rest: string } {
  let rest = stream;
  const take = (n: number): string => {
    const s = rest.slice(0, n);
    rest = rest.slice(n);
    return s;
  };
  const results = ops.map((op, i): Outcome => {
    const eof = { status: "eof", data: rest };
    switch (op.kind) {
      case "recv": {
        if (rest.length === 0) return eof;
        return { status: "ok", data: take(recvSizes[i] ?? Math.min(op.max, rest.length)) };
      }
      case "exact":
        return rest.length >= op.n ? { status: "ok", data: take(op.n) } : eof;
      case "until":
      case "line": {
        const delims = op.kind === "line" ? ["\n"] : op.delims;
        let best = -1, bestLen = 0;
        for (const d of delims) {
          const at = rest.indexOf(d);
          if (at === -1) continue;
          const end = at + d.length;
          if (best === -1 || end < best || (end === best && d.length > bestLen)) {
            best = end;
            bestLen = d.length;
          }
        }
        if (best === -1) return eof;
        const s = take(best);
        return { status: "ok", data: op.drop ? s.slice(0, s.length - bestLen) : s };
      }
      case "match": {
        const m = op.re.exec(rest);
        if (!m) return eof;
        return {
          status: "ok",
          data: take(m.index + m[0].length),
          match: [...m].map((x) => x ?? ""),
        };
      }
    }
  });
  return { results, rest };
}

Deno.test("read results do not depend on how the stream is split into chunks", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 40 }),
      fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 16 }),
      fc.array(fc.constantFrom("micro", "macro", "none"), { minLength: 1, maxLength: 12 }),
      fc.array(opArb, { maxLength: 12 }),
      fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
      async (streamBytes, cuts, gaps, ops, pushFirst) => {
        const stream = new Uint8Array(streamBytes);
        const text = toLatin1(stream);

        // One chunk, all before reading.
        const whole = new ReceiveBuffer({ initialSize: 4 });
        whole.push(stream);
        whole.end();
        const wholeResults: Outcome[] = [];
        for (const op of ops) wholeResults.push(outcome(await run(whole, op)));
        const expectedWhole = model(text, ops, []);
        assertEquals(wholeResults, expectedWhole.results);
        assertEquals(toLatin1(whole.drain()), expectedWhole.rest);

        // Split into chunks, pushed with gaps while the program runs (or all up front).
        const chunks: Uint8Array[] = [];
        let at = 0;
        for (const c of cuts) {
          if (at >= stream.length) break;
          chunks.push(stream.subarray(at, at + c));
          at += c;
        }
        if (at < stream.length) chunks.push(stream.subarray(at));
        const split = new ReceiveBuffer({ initialSize: 2, cap: 3 });
        const pusher = async () => {
          for (let i = 0; i < chunks.length; i++) {
            const gap = gaps[i % gaps.length];
            if (gap === "micro") await Promise.resolve();
            else if (gap === "macro") await tick();
            split.push(chunks[i]);
          }
          split.end();
        };
        const pushing = pushFirst ? (await pusher(), Promise.resolve()) : pusher();
        const splitResults: Outcome[] = [];
        for (const op of ops) splitResults.push(outcome(await run(split, op)));
        await pushing;
        const recvSizes = ops.map((op, i) =>
          op.kind === "recv" && splitResults[i].status === "ok"
            ? splitResults[i].data.length
            : undefined
        );
        for (const [i, op] of ops.entries()) {
          if (op.kind === "recv" && splitResults[i].status === "ok") {
            const n = splitResults[i].data.length;
            assert(n >= 1 && n <= op.max);
          }
        }
        const expected = model(text, ops, recvSizes);
        assertEquals(splitResults, expected.results);
        // Nothing lost: what was not consumed is still buffered, in order.
        assertEquals(toLatin1(split.drain()), expected.rest);
      },
    ),
    { numRuns: 200 },
  );
});
