/**
 * The script layer stands on the shell's own path: framed sessions replay through `recv`'s
 * replay mode, a command added by a program is recorded, replayed and mocked from its `script`
 * declarations, and `sockit test --timeout` takes effect.
 */
import { match as assertMatch, strictEqual as equal } from "node:assert/strict";
import type { Command } from "../commands/types.ts";
import { readingCommand } from "../commands/reading.ts";
import { FRAME_NAMES } from "../protocols/framing.ts";
import { attachRecorder, formatFailure, parseScript, replay, Shell } from "../mod.ts";
import { startMock } from "../session/mock.ts";
import { as, sockit } from "./_helpers.ts";

/** Runs `session` in a shell that records into a fresh file; returns the file's text. */
async function recorded(
  session: (shell: Shell) => Promise<void>,
  options: { commands?: Command[] } = {},
): Promise<string> {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    {
      await using shell = new Shell({ commands: options.commands });
      const recorder = attachRecorder(shell);
      await recorder.start(file);
      await session(shell);
      await recorder.stop();
    }
    return await Deno.readTextFile(file);
  } finally {
    await Deno.remove(file);
  }
}

const local = (shell: Shell, name: string) => shell.registry.get(name, "test").info().local;

Deno.test("the framed session of issue 10, recorded in the shell, replays green", async () => {
  const text = await recorded(async (shell) => {
    await shell.execute("listen tcp srv :0");
    await shell.execute(`open tcp a ${local(shell, "srv")}`);
    await shell.execute("accept srv");
    await shell.execute("frame a line");
    await shell.execute("sendline srv.1 hello");
    await shell.execute("sendline srv.1 world");
    equal(as(await shell.execute("recv a"), "data").data.length, 5);
    await shell.execute("recv a");
  });
  assertMatch(text, /^recv a\n {2}"hello"\nrecv a\n {2}"world"\n$/m);
  const result = await replay(parseScript(text, "framed.sockit"));
  equal(result.status, "passed", result.failure && formatFailure(result.failure));
});

for (const kind of FRAME_NAMES.filter((f) => f !== "none")) {
  Deno.test(`a session framed as ${kind} on both ends is recorded and replays green`, async () => {
    const text = await recorded(async (shell) => {
      await shell.execute("listen tcp srv :0");
      await shell.execute(`open tcp a ${local(shell, "srv")}`);
      await shell.execute("accept srv");
      await shell.execute(`frame a ${kind}`);
      await shell.execute(`frame srv.1 ${kind}`);
      await shell.execute("send srv.1 hello");
      await shell.execute('send srv.1 ""');
      await shell.execute("send srv.1 world");
      await shell.execute("send a back");
      await shell.execute("recv a");
      await shell.execute("recv a");
      await shell.execute("recv a");
      await shell.execute("recv srv.1");
    });
    assertMatch(text, /^recv a\n {2}"hello"\nrecv a\n {2}""\nrecv a\n {2}"world"\n/m);
    const script = parseScript(text, `${kind}.sockit`);
    const result = await replay(script);
    equal(result.status, "passed", result.failure && formatFailure(result.failure));

    // The expected bytes are one message: a different message fails at that recv.
    const wrong = await replay(parseScript(text.replace('"world"', '"wörld"'), `${kind}.sockit`));
    equal(wrong.status, "failed");
    assertMatch(wrong.failure!.reason, /received different bytes/);
    equal(wrong.failure!.command, "recv a");
  });
}

/** A command a program adds: receives up to and including the next space. */
const recvword = readingCommand({
  name: "recvword",
  usage: "recvword NAME",
  summary: "receive up to and including the next space",
  args: ["socket"],
  minArgs: 1,
  maxArgs: 1,
  action: "recvword from",
  script: { reads: "stream" },
  reader: () => (socket, opts) => socket.buffer.recvUntil(new Uint8Array([0x20]), opts),
});

Deno.test("a receiving command added through ShellOptions.commands is recorded, replayed and mocked", async () => {
  const text = await recorded(async (shell) => {
    await shell.execute("serve echo tcp e :0");
    await shell.execute(`open tcp c1 ${local(shell, "e")}`);
    await shell.execute('send c1 "hi there "');
    await shell.execute("recvword c1");
    await shell.execute("recvword c1");
    await shell.execute("close c1");
  }, { commands: [recvword] });
  assertMatch(text, /^recvword c1\n {2}"hi "\nrecvword c1\n {2}"there "\n/m);
  const file = "word.sockit";
  rejectsUnknown(() => parseScript(text, file));
  const script = parseScript(text, file, { commands: [recvword] });
  const result = await replay(script, { commands: [recvword] });
  equal(result.status, "passed", result.failure && formatFailure(result.failure));

  // Its observations are what the mock answers; what a client sends is checked first.
  await using mock = await startMock(script, { commands: [recvword] });
  const [hostname, port] = mock.address.split(":");
  const talk = async (say: string) => {
    const conn = await Deno.connect({ hostname, port: Number(port) });
    await conn.write(new TextEncoder().encode(say));
    let heard = "";
    const buf = new Uint8Array(64);
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      heard += new TextDecoder().decode(buf.subarray(0, n));
      if (heard === "hi there ") break;
    }
    conn.close();
    return heard;
  };
  equal(await talk("hi there "), "hi there ");
  equal(await talk("ho there "), "");
  assertMatch(
    mock.diagnostics[0],
    /^word\.sockit:6: connection 2 \(recorded as c1\): the client sent different bytes; expected "hi there ", got "ho there "$/,
  );
});

function rejectsUnknown(parse: () => unknown): void {
  try {
    parse();
  } catch (error) {
    assertMatch((error as Error).message, /unknown command "recvword"/);
    return;
  }
  throw new Error("a script using an undeclared command parsed");
}

Deno.test("sockit test --timeout sets the deadline of every wait, and a bad duration is one line", async () => {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    await Deno.writeTextFile(
      file,
      'listen tcp srv :0\nopen tcp a ${srv.local}\nrecv a\n  "never"\n',
    );
    const run = await sockit(["test", "--timeout", "300ms", file]);
    equal(run.code, 1);
    assertMatch(run.stdout, /:3: Cannot recv from "a": timed out after 300ms waiting for 5 bytes/);
    const bad = await sockit(["test", "--timeout", "abc", file]);
    equal(bad.code, 1);
    equal(bad.stdout, "");
    const lines = bad.stderr.trimEnd().split("\n");
    equal(lines.length, 1, bad.stderr);
    assertMatch(lines[0], /test --timeout: bad duration "abc"/);
  } finally {
    await Deno.remove(file);
  }
});
