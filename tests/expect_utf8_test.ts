import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { parseScript } from "../session/parse.ts";
import { replay } from "../session/replay.ts";
import { as } from "./_helpers.ts";

const text = (r: { kind: string; data?: Uint8Array }) => new TextDecoder().decode(r.data);

async function pair(shell: Shell): Promise<void> {
  const srv = as(await shell.execute("listen tcp srv :0"), "socket").info.local;
  await shell.execute(`open tcp a ${srv}`);
  await shell.execute("accept srv");
}

Deno.test("expect matches UTF-8 text as typed, through its bytes", async () => {
  await using shell = new Shell({ timeout: 2000 });
  await pair(shell);
  await shell.execute('send srv.1 "héllo wörld\\n"');
  assertEquals(text(as(await shell.execute("expect a /héllo/"), "data")), "héllo");
  // `.` and classes match one byte: \S+ takes a whole word whatever its letters.
  assertEquals(text(as(await shell.execute("expect a /w\\S+/"), "data")), " wörld");
  assertEquals(text(as(await shell.execute("recvline a"), "data")), "\n");
});

Deno.test("expect still matches raw bytes with \\xHH", async () => {
  await using shell = new Shell({ timeout: 2000 });
  await pair(shell);
  await shell.execute("send srv.1 hex:00ff4142");
  assertEquals([...as(await shell.execute("expect a /\\x00\\xff/"), "data").data], [0, 255]);
  assertEquals(text(as(await shell.execute("recv a"), "data")), "AB");
});

Deno.test("a non-ASCII character inside [...] is a one-line error", async () => {
  await using shell = new Shell({ timeout: 500 });
  await pair(shell);
  await shell.execute('send srv.1 "é"');
  await assertRejects(
    shell.execute("expect a /[éè]/"),
    /Cannot match \/\[éè\]\/: "é" inside \[\.\.\.\] is several bytes in UTF-8/,
  );
});

Deno.test("a script's /REGEX/ observation and its capture read UTF-8", async () => {
  const script = parseScript(
    [
      "listen tcp srv :0",
      "open tcp a ${srv.local}",
      "accept srv",
      'send srv.1 "name: Zoë\\n"',
      "recvline a",
      "  /name: (?<who>Zo\\S+)\\n/",
      "send a ${who}",
      "recv srv.1",
      '  "Zoë"',
    ].join("\n"),
    "utf8.sockit",
  );
  const result = await replay(script);
  assertEquals(result.status, "passed", result.failure?.reason);
});
