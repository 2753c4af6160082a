/**
 * One receiver contract, run against every implementation of {@link Receiver}: the stream
 * buffer, the datagram queue's view of every sender, and its view of one sender (with other
 * senders' datagrams interleaved). Where datagrams must differ, the test says so by name and
 * states both outcomes; README's UDP section and receiver.ts document the same differences.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { SockitError } from "../grammar/errors.ts";
import { DatagramQueue } from "./datagram_queue.ts";
import { type ReadResult, ReceiveBuffer } from "./receive_buffer.ts";
import type { Receiver } from "./receiver.ts";

/** A receiver under test and how to feed it. */
interface Subject {
  /** `stream`: pushes are chunks of one byte stream; `datagram`: each push is one datagram. */
  kind: "stream" | "datagram";
  receiver: Receiver;
  /** Delivers bytes: a chunk, or a datagram. */
  push(bytes: Uint8Array | string): void;
  /** The peer is done: end of stream, or the socket closed. */
  end(): void;
}

const enc = new TextEncoder();
const bytes = (b: Uint8Array | string) => typeof b === "string" ? enc.encode(b) : b;
const text = (r: ReadResult) => new TextDecoder().decode(r.data);
const SENDER = "127.0.0.1:5000";

const SUBJECTS: Record<string, () => Subject> = {
  "stream buffer": () => {
    const buffer = new ReceiveBuffer();
    return {
      kind: "stream",
      receiver: buffer,
      push: (b) => buffer.push(bytes(b)),
      end: () => buffer.end(),
    };
  },
  "datagram queue, every sender": () => {
    const queue = new DatagramQueue();
    return {
      kind: "datagram",
      receiver: queue.all,
      push: (b) => queue.push(bytes(b), SENDER),
      end: () => queue.end(),
    };
  },
  "datagram queue, one sender among others": () => {
    const queue = new DatagramQueue();
    return {
      kind: "datagram",
      receiver: queue.view(SENDER),
      push: (b) => {
        queue.push(enc.encode("noise\n"), "127.0.0.1:5001");
        queue.push(bytes(b), SENDER);
      },
      end: () => queue.end(),
    };
  },
};

/** Registers `fn` once per implementation. */
function contract(sentence: string, fn: (s: Subject) => Promise<void> | void): void {
  for (const [name, make] of Object.entries(SUBJECTS)) {
    Deno.test(`${name}: ${sentence}`, () => fn(make()));
  }
}

function throwsUsage(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof SockitError && e.code === "usage");
}

// --- The same everywhere ----------------------------------------------------------------------

contract("recv() waits for bytes to arrive and returns them", async (s) => {
  const read = s.receiver.recv(100, { timeout: 1000 });
  s.push("hello");
  const r = await read;
  assert.equal(r.status, "ok");
  assert.equal(text(r), "hello");
});

contract("recv() of zero, negative or fractional bytes is a usage error", (s) => {
  s.push("keep");
  for (const max of [0, -1, 1.5, NaN]) throwsUsage(() => s.receiver.recv(max));
  assert.equal(s.receiver.size, 4);
});

contract("recvExact(0) succeeds at once with no bytes, even with nothing to read", async (s) => {
  const r = await s.receiver.recvExact(0);
  assert.deepEqual([r.status, r.data.length], ["ok", 0]);
  s.push("ab");
  assert.equal((await s.receiver.recvExact(0)).data.length, 0);
  assert.equal(s.receiver.size, 2);
});

contract("recvExact() of a negative or fractional count is a usage error", (s) => {
  throwsUsage(() => s.receiver.recvExact(-1));
  throwsUsage(() => s.receiver.recvExact(2.5));
});

contract("recvExact(n) returns exactly n bytes and the rest stays readable", async (s) => {
  s.push("abcdef");
  assert.equal(text(await s.receiver.recvExact(4)), "abcd");
  assert.equal(s.receiver.size, 2);
  assert.equal(text(await s.receiver.recv(100)), "ef");
});

contract("recvUntil() returns through the delimiter, without it when drop is set", async (s) => {
  s.push("GET /\r\n\r\nbody");
  const crlf2 = enc.encode("\r\n\r\n");
  assert.equal(text(await s.receiver.recvUntil(crlf2, { drop: true })), "GET /");
  assert.equal(text(await s.receiver.recv(100)), "body");
  s.push("a;b;");
  assert.equal(text(await s.receiver.recvUntil(enc.encode(";"))), "a;");
});

contract(
  "recvUntil() with several delimiters returns through the one that ends first",
  async (s) => {
    // "bc" ends at 4, "abcd" at 5: pwntools would pick "abcd" (it starts first) when all five
    // bytes came in one read, and "bc" when "xabc" came first; the earliest end is always "bc".
    s.push("xabcd");
    const r = await s.receiver.recvUntil([enc.encode("abcd"), enc.encode("bc")]);
    assert.equal(text(r), "xabc");
    assert.equal(text(await s.receiver.recv(100)), "d");
  },
);

contract("recvUntil() with delimiters ending together takes the longest", async (s) => {
  s.push("abc!");
  const r = await s.receiver.recvUntil([enc.encode("c"), enc.encode("bc")], { drop: true });
  assert.equal(text(r), "a");
  assert.equal(text(await s.receiver.recv(100)), "!");
});

contract("recvUntil() rejects an empty delimiter list or an empty delimiter", (s) => {
  throwsUsage(() => s.receiver.recvUntil([]));
  throwsUsage(() => s.receiver.recvUntil(new Uint8Array(0)));
  throwsUsage(() => s.receiver.recvUntil([enc.encode("x"), new Uint8Array(0)]));
});

contract("recvLine() returns one line, and drop leaves the newline out", async (s) => {
  s.push("one\ntwo\n");
  assert.equal(text(await s.receiver.recvLine()), "one\n");
  assert.equal(text(await s.receiver.recvLine({ drop: true })), "two");
});

contract("recvMatch() consumes through the match and returns its groups", async (s) => {
  s.push("id=42;rest");
  const r = await s.receiver.recvMatch(/id=(\d+);/);
  assert.equal(text(r), "id=42;");
  assert.equal(r.match?.[1], "42");
  assert.equal(text(await s.receiver.recv(100)), "rest");
});

contract("recvMatch() ignores the global flag and the regex's lastIndex", async (s) => {
  s.push("abab");
  const re = /ab/g;
  re.lastIndex = 3;
  assert.equal(text(await s.receiver.recvMatch(re)), "ab");
  assert.equal(re.lastIndex, 3);
});

contract("recvMatch() with the sticky flag matches at the first unread byte", async (s) => {
  s.push("abab!");
  assert.equal(text(await s.receiver.recvMatch(/(ab)+/y)), "abab");
  assert.equal(text(await s.receiver.recv(100)), "!");
});

contract("recvMatch() matches bytes as latin1 characters", async (s) => {
  s.push(new Uint8Array([0x00, 0xff, 0x41, 0x42]));
  const r = await s.receiver.recvMatch(/\xffA/);
  assert.deepEqual([...r.data], [0x00, 0xff, 0x41]);
});

contract("recvMatch() of several regexes takes the match that starts first", async (s) => {
  s.push("login: password: ");
  const r = await s.receiver.recvMatch([/password: /, /login: /]);
  assert.equal(text(r), "login: ");
  assert.equal(r.alternative, 1);
});

contract("recvMatch() of several regexes starting together takes the first listed", async (s) => {
  s.push("abc;");
  const r = await s.receiver.recvMatch([/ab/, /abc/]);
  assert.deepEqual([text(r), r.alternative], ["ab", 0]);
});

contract("recvMatch() of several regexes waits for any of them in one read", async (s) => {
  const read = s.receiver.recvMatch([/never/, /\$ /], { timeout: 1000 });
  s.push("user@host$ ");
  const r = await read;
  assert.deepEqual([r.status, text(r), r.alternative, r.match?.index], [
    "ok",
    "user@host$ ",
    1,
    9,
  ]);
});

contract("recvMatch() of several regexes that time out consume nothing", async (s) => {
  s.push("nothing here");
  const r = await s.receiver.recvMatch([/x/, /y/], { timeout: 0 });
  assert.notEqual(r.status, "ok");
  assert.equal(text(await s.receiver.recv(100)), "nothing here");
});

contract("recvMatch() of an empty list of regexes is a usage error", (s) => {
  throwsUsage(() => s.receiver.recvMatch([]));
});

contract("discard() throws away what is buffered and says how many bytes", async (s) => {
  s.push("abc");
  s.push("de");
  const gone = s.receiver.discard();
  assert.equal(gone.bytes, 5);
  if (s.kind === "datagram") assert.equal(gone.datagrams, 2);
  assert.equal(s.receiver.size, 0);
  assert.deepEqual(s.receiver.discard().bytes, 0);
  s.push("next");
  assert.equal(text(await s.receiver.recv(100)), "next");
});

contract("a read with nothing to read times out consuming nothing", async (s) => {
  const r = await s.receiver.recvLine({ timeout: 0 });
  assert.deepEqual([r.status, r.data.length], ["timeout", 0]);
  s.push("late\n");
  assert.equal(text(await s.receiver.recvLine()), "late\n");
});

contract("a cancelled read consumes nothing, whether it waited or not", async (s) => {
  const waiting = new AbortController();
  const read = s.receiver.recv(100, { signal: waiting.signal });
  waiting.abort();
  assert.equal((await read).status, "cancelled");
  s.push("keep");
  const r = await s.receiver.recvExact(2, { signal: AbortSignal.abort() });
  assert.equal(r.status, "cancelled");
  assert.equal(text(await s.receiver.recv(100)), "keep");
});

contract("reads are served one at a time in call order", async (s) => {
  const first = s.receiver.recvLine({ timeout: 1000 });
  const second = s.receiver.recv(100, { timeout: 1000 });
  s.push("one\n");
  assert.equal(text(await first), "one\n");
  s.push("two");
  assert.equal(text(await second), "two");
});

contract("after the end, what is left is read first, then reads say eof", async (s) => {
  const waiting = s.receiver.recv(100);
  s.push("last");
  assert.equal(text(await waiting), "last");
  s.push("more");
  s.end();
  assert.equal(text(await s.receiver.recv(100)), "more");
  const r = await s.receiver.recv(100);
  assert.deepEqual([r.status, r.data.length], ["eof", 0]);
});

contract("the end resolves a waiting read with eof", async (s) => {
  const read = s.receiver.recvLine();
  s.end();
  assert.equal((await read).status, "eof");
});

contract("size counts the bytes waiting to be read", async (s) => {
  s.push("abc");
  assert.equal(s.receiver.size, 3);
  await s.receiver.recvExact(1);
  assert.equal(s.receiver.size, 2);
});

// --- Where datagrams differ, and why ----------------------------------------------------------

contract(
  "a read joins pushes on a stream, but never spans datagrams (it fails, consuming nothing)",
  async (s) => {
    s.push("ab");
    s.push("c\n");
    const r = await s.receiver.recvLine({ timeout: 1000 });
    if (s.kind === "stream") {
      assert.equal(text(r), "abc\n");
    } else {
      assert.equal(r.status, "error");
      assert.match(r.error!.message, /the next datagram \(2 bytes\) holds no delimiter/);
      assert.equal(text(r), "ab");
      assert.equal(text(await s.receiver.recv(100)), "ab");
    }
  },
);

contract(
  "bytes that cannot satisfy a read: a stream waits for more, a datagram fails at once",
  async (s) => {
    s.push("abc");
    const reads = [
      () => s.receiver.recvExact(5, { timeout: 0 }),
      () => s.receiver.recvUntil(enc.encode("\n"), { timeout: 0 }),
      () => s.receiver.recvMatch(/z/, { timeout: 0 }),
      () => s.receiver.recvMatch(/bc/y, { timeout: 0 }),
    ];
    for (const read of reads) {
      const r = await read();
      assert.equal(r.status, s.kind === "stream" ? "timeout" : "error");
      assert.equal(text(r), "abc");
    }
    assert.equal(text(await s.receiver.recv(100)), "abc");
  },
);

contract(
  "at the end, a read the rest cannot satisfy: a stream says eof, a datagram fails",
  async (s) => {
    s.push("ab");
    s.end();
    const r = await s.receiver.recvExact(3);
    assert.equal(r.status, s.kind === "stream" ? "eof" : "error");
    assert.equal(text(r), "ab");
  },
);

contract(
  "recv(max) of longer bytes: a stream keeps the rest, a datagram is cut and marked truncated",
  async (s) => {
    s.push("hello");
    const r = await s.receiver.recv(3) as ReadResult & { truncated?: boolean; length?: number };
    assert.equal(text(r), "hel");
    const rest = await s.receiver.recv(100, { timeout: 0 });
    if (s.kind === "stream") {
      assert.equal(r.truncated, undefined);
      assert.equal(text(rest), "lo");
    } else {
      assert.deepEqual([r.truncated, r.length], [true, 5]);
      assert.equal(rest.status, "timeout");
    }
  },
);

contract(
  "an empty push: a stream has nothing new, an empty datagram reads as zero bytes",
  async (s) => {
    s.push("");
    s.push("x");
    const first = await s.receiver.recv(100);
    assert.equal(first.status, "ok");
    if (s.kind === "stream") assert.equal(text(first), "x");
    else {
      assert.equal(text(first), "");
      assert.equal(text(await s.receiver.recv(100)), "x");
    }
  },
);

// --- Agreement on one datagram's bytes ----------------------------------------------------------

type Op =
  | { kind: "exact"; n: number }
  | { kind: "until"; delims: string[]; drop: boolean }
  | { kind: "match"; re: RegExp };

const latin1Bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function run(r: Receiver, op: Op): Promise<ReadResult> {
  if (op.kind === "exact") return r.recvExact(op.n);
  if (op.kind === "until") return r.recvUntil(op.delims.map(latin1Bytes), { drop: op.drop });
  return r.recvMatch(op.re);
}

Deno.test("a read of one datagram returns what the same read returns on a stream of the same bytes", async () => {
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant("exact" as const), n: fc.integer({ min: 0, max: 8 }) }),
    fc.record({
      kind: fc.constant("until" as const),
      delims: fc.array(fc.constantFrom("\n", "ab", "b", "ba", "c\n", "abc", "bc"), {
        minLength: 1,
        maxLength: 3,
      }),
      drop: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant("match" as const),
      re: fc.constantFrom(/ab/, /a.b/, /^b/, /b/y, /(a)(b|c)/, /\d+/),
    }),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.string({ unit: fc.constantFrom("a", "b", "c", "\n", "1"), minLength: 1, maxLength: 10 }),
      fc.array(opArb, { minLength: 1, maxLength: 4 }),
      async (payload, ops) => {
        const stream = new ReceiveBuffer();
        stream.push(latin1Bytes(payload));
        stream.end();
        const queue = new DatagramQueue();
        queue.push(latin1Bytes(payload), SENDER);
        queue.end();
        for (const op of ops) {
          const a = await run(stream, op);
          const b = await run(queue.all, op);
          // Where the stream's bytes end without satisfying the read, the datagram read fails.
          const left = a.data.length > 0;
          assert.equal(b.status, a.status === "eof" && left ? "error" : a.status);
          assert.deepEqual([...b.data], [...a.data]);
          assert.equal(b.match?.[0], a.match?.[0]);
        }
      },
    ),
    { numRuns: 300 },
  );
});
