/** A small run of `deno task fuzz` inside the suite: hostile input gets one-line errors only. */
import assert from "node:assert/strict";
import { badRejection, fuzzDispatcher, fuzzParser } from "../fuzz/fuzz.ts";
import { SockitError } from "../grammar/errors.ts";
import { parseScript } from "../session/parse.ts";

Deno.test("2,000 generated scripts are parsed or rejected with a one-line SockitError", async () => {
  const report = await fuzzParser({ runs: 2000 });
  assert.equal(report.runs, 2000);
  assert.deepEqual(report.findings, [], `seed ${report.seed}`);
});

Deno.test("2,000 generated command lines run or are rejected with a one-line SockitError, none hangs", async () => {
  const report = await fuzzDispatcher({ runs: 2000 });
  assert.equal(report.runs, 2000);
  assert.deepEqual(report.findings, [], `seed ${report.seed}`);
});

Deno.test("an empty prompt line or a comment at the prompt in a pasted transcript is skipped", () => {
  for (const line of ["sockit> ", "sockit>", "sockit> # c", "sockit>   # c"]) {
    const script = parseScript(`sockit> listen tcp srv :0\n${line}\nsockit> ls\n`, "t.sockit");
    assert.deepEqual(script.steps.map((s) => s.name), ["listen", "ls"], line);
  }
});

Deno.test("the fuzzers count a TypeError or a message of several lines as a finding", () => {
  assert.match(badRejection(new TypeError("x is undefined"))!, /^TypeError/);
  const twoLines = Object.assign(new SockitError("x"), { message: "a\nb" });
  assert.match(badRejection(twoLines)!, /several lines/);
  assert.equal(badRejection(new SockitError('Cannot open "a\\rb"')), undefined);
});
