/**
 * Socket variables (`${srv.local}`, `${srv.port}` …) in the interactive shell and batch mode,
 * the same as in scripts; `$${` is a literal `${` everywhere.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  strictEqual as equal,
} from "node:assert/strict";
import { escapeTemplate, parseTemplate, substitute } from "../session/template.ts";
import { parseScript, replay } from "../mod.ts";
import { sockit } from "./_helpers.ts";

Deno.test("batch mode fills in socket variables: open a client on a server's address", async () => {
  const run = await sockit([
    "-c",
    'serve echo tcp e :0; open tcp a ${e.local}; send a "port ${e.port}"; recv a',
  ]);
  equal(run.code, 0, run.stderr);
  const port = /e {2}listening {2}tcp 127\.0\.0\.1:(\d+)/.exec(run.stdout)![1];
  assertMatch(
    run.stdout,
    new RegExp(`a {2}open {2}tcp 127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${port}`),
  );
  assertMatch(run.stdout, new RegExp(`^"port ${port}"$`, "m"));
});

Deno.test("$${ sends a literal ${ from the shell", async () => {
  const run = await sockit([
    "-c",
    'serve echo tcp e :0; open tcp a ${e.local}; send a "$${HOME}"; recv a',
  ]);
  equal(run.code, 0, run.stderr);
  assertMatch(run.stdout, /^"\$\{HOME\}"$/m);
});

Deno.test("an unknown socket, property or missing address is a one-line error naming it", async () => {
  for (
    const [line, message] of [
      ["send a ${nope.local}", 'Cannot expand ${nope.local}: no socket "nope"'],
      ["serve echo tcp e :0\nsend e ${e.size}", 'Cannot expand ${e.size}: unknown property "size"'],
      [
        "serve echo tcp e :0\nsend e ${e.remote}",
        'Cannot expand ${e.remote}: "e" has no remote address',
      ],
      ['send a "${e.local', 'Cannot expand "send a "${e.local": unterminated ${'],
    ]
  ) {
    const run = await sockit([], line + "\n");
    equal(run.code, 1, line);
    assertMatch(run.stderr, new RegExp(`error: ${message.replace(/[$.{}"()]/g, "\\$&")};`), line);
    equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  }
});

Deno.test("a script may use the variables of a server it started with serve", async () => {
  const script = parseScript(
    'serve echo tcp e :0\nopen tcp a ${e.local}\nsend a hi\nrecv a 2\n  "hi"\n',
    "serve.sockit",
  );
  const result = await replay(script);
  equal(result.status, "passed", JSON.stringify(result.failure));
});

Deno.test("literal ${ in recorded text is escaped, so it reads back as the same text", () => {
  const text = 'send a "${HOME} and $${x}"';
  const escaped = escapeTemplate(text);
  equal(escaped, 'send a "$${HOME} and $$${x}"');
  assertEquals(substitute(parseTemplate(escaped, false), () => undefined), text);
});

Deno.test("a recorded session that sent a literal ${ replays green", async () => {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    const run = await sockit([
      "--record",
      file,
      "-c",
      'serve echo tcp e :0; open tcp a ${e.local}; send a "$${x}"; recv a',
    ]);
    equal(run.code, 0, run.stderr);
    const text = await Deno.readTextFile(file);
    assertMatch(text, /^open tcp a \$\{e\.local\}$/m);
    assertMatch(text, /^send a "\$\$\{x\}"$/m);
    const test = await sockit(["test", file]);
    equal(test.code, 0, test.stdout);
  } finally {
    await Deno.remove(file);
  }
});
