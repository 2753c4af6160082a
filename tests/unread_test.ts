/** Bytes still unread when a script ends: a warning by default, a failure with --strict. */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  strictEqual as equal,
} from "node:assert/strict";
import { formatFailure, parseScript, replay, runTests } from "../mod.ts";

const SCRIPT = [
  "listen tcp srv :0",
  "open tcp a ${srv.local}",
  "listen udp u :0",
  "open udp b ${u.local}",
  'send srv.1 "hello, never read"',
  "send b datagram",
  "recvfrom u --timeout 1s",
  '  from ${b.local} "datagram"',
  "send b another",
  "sleep 50ms",
].join("\n");

Deno.test("bytes unread at the end of a script are a warning naming the socket and the bytes", async () => {
  const result = await replay(parseScript(SCRIPT, "unread.sockit"));
  equal(result.status, "passed");
  assertEquals(result.unread, [
    { socket: "a", bytes: 17, preview: '"hello, never read"' },
    { socket: "u.1", bytes: 7, preview: undefined },
  ]);

  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    await Deno.writeTextFile(file, SCRIPT);
    const lines: string[] = [];
    equal(await runTests([file], { write: (l) => lines.push(l) }), 0);
    assertEquals(
      lines[1],
      '     warning: unread at the end: 17 bytes on a ("hello, never read"), 7 bytes on u.1',
    );
    assertMatch(lines[2], /^1 passed, 0 failed; 1 left bytes unread /);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("with strict, a script that ends with unread bytes fails at its last command", async () => {
  const result = await replay(parseScript(SCRIPT, "unread.sockit"), { strict: true });
  equal(result.status, "failed");
  const report = formatFailure(result.failure!);
  assertMatch(
    report,
    /^unread\.sockit:10: the script ended with bytes nobody read: 17 bytes on a \("hello, never read"\), 7 bytes on u\.1\n {2}hint: read them/,
  );
  assertMatch(report, /command: {2}sleep 50ms/);
  // Reading them makes it pass.
  const clean = await replay(
    parseScript(`${SCRIPT}\nrecv a\n  "hello, never read"\nrecv u.1\n  "another"`, "clean.sockit"),
    { strict: true },
  );
  equal(clean.status, "passed", clean.failure && formatFailure(clean.failure));
  assertEquals(clean.unread, []);
});
