/**
 * The progress bar through a real pseudo-terminal (tmux): `sockit -c '… send a @big.bin'` draws
 * it on stderr while the peer holds the transfer back, erases it before the result, and says
 * the bytes done on Ctrl-C; with --json, or when stderr is not a terminal, not one byte of it
 * is written. Every byte the terminal received is kept (tmux pipe-pane) and checked.
 */
// The named deepEqual/equal of node:assert/strict are the loose ones in Deno 2.9.
import { match as assertMatch, ok as assert, strictEqual as equal } from "node:assert/strict";
import { eventually, sockit, SOCKIT_RUN } from "./_helpers.ts";
import { Tmux } from "./_tmux.ts";

const SIZE = 64 * 1024 * 1024;

/** A listener whose one connection reads nothing until `drain()`, then everything to the end. */
function holdingPeer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const gate = Promise.withResolvers<void>();
  let received = 0;
  const done = (async () => {
    const conn = await listener.accept();
    await gate.promise;
    const buf = new Uint8Array(1024 * 1024);
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        received += n;
      }
    } catch { /* reset by a cancelled send's close */ }
    conn.close();
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    drain: () => gate.resolve(),
    received: () => received,
    async [Symbol.asyncDispose]() {
      gate.resolve();
      listener.close();
      await done.catch(() => {});
    },
  };
}

/**
 * Runs `sockit ARGS` in a tmux window of 100 columns, every byte it shows copied to `log`; the
 * window then says `exit code N` and stays.
 */
async function runInTerminal(tmux: Tmux, args: string[], log: string): Promise<void> {
  const quoted = [Deno.execPath(), ...SOCKIT_RUN, ...args].map((a) =>
    `'${a.replaceAll("'", "'\\''")}'`
  );
  // The command waits for a first Enter, so that the copy starts before anything is shown.
  const command = `read go; env NO_COLOR=1 ${quoted.join(" ")}; echo "exit code $?"; sleep 30`;
  // bash, whatever the login shell: it waits out a Ctrl-C that its child handled (dash would not).
  await tmux.run("new-session", "-d", "-s", "t", "-x", "100", "-y", "30", "bash", "-c", command);
  await tmux.run("pipe-pane", "-t", "t", "-o", `cat >> '${log}'`);
  await tmux.keys("Enter");
}

/**
 * What the terminal got after each `\r ESC[K` (the bar's "erase this line"): every piece but
 * the last is one drawing of the bar; the last is what followed the final erase.
 */
function pieces(raw: string): { drawn: string[]; after: string } {
  const all = raw.split("\r\x1b[K").slice(1);
  return { drawn: all.slice(0, -1), after: all.at(-1) ?? "" };
}

/** Everything the terminal received, once the window says how the run exited. */
function copied(log: string): Promise<string> {
  return eventually(async () => {
    const text = await Deno.readTextFile(log);
    return text.includes("exit code") && text;
  }, "the copy of the terminal output");
}

Deno.test("send @file under a terminal shows one progress line, then erases it", async (t) => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/big.bin`;
  await Deno.writeFile(file, new Uint8Array(SIZE));

  await t.step(
    "while the peer holds the bytes back the bar shows; it is gone before the result",
    async () => {
      await using peer = holdingPeer();
      await using tmux = new Tmux();
      const log = `${dir}/finished.log`;
      await runInTerminal(tmux, ["-c", `open tcp a 127.0.0.1:${peer.port}; send a @${file}`], log);
      const shown = await tmux.waitFor(/^sending @\S+big\.bin {2}[\d.]+ MiB \/ 64\.0 MiB {2}\d+%/m);
      assert(!/sent \d+ bytes/.test(shown), shown);
      peer.drain();
      const screen = await tmux.waitFor(/exit code \d+/);
      assertMatch(screen, /^sent 67108864 bytes to a\nexit code 0$/m);
      assert(!screen.includes("sending"), screen);
      const raw = await copied(log);
      // Each drawing is one bar that fits the window, redrawn in place: no line ends between.
      const { drawn, after } = pieces(raw);
      assert(drawn.length >= 1, JSON.stringify(raw.slice(0, 400)));
      for (const line of drawn) {
        assert(line.length < 100, line);
        assertMatch(line, /^sending @\S+big\.bin {2}[\d.]+ MiB \/ 64\.0 MiB {2}\d+%[^\r\n]*$/);
      }
      // The last drawing was erased, and the result written where it stood.
      assertMatch(after, /^sent 67108864 bytes to a\r\n/);
      equal(peer.received(), SIZE);
    },
  );

  await t.step("Ctrl-C ends the send: the bar goes and the error says the bytes sent", async () => {
    await using peer = holdingPeer();
    await using tmux = new Tmux();
    await runInTerminal(
      tmux,
      ["-c", `open tcp a 127.0.0.1:${peer.port}; send a @${file}`],
      `${dir}/cancelled.log`,
    );
    await tmux.waitFor(/^sending @\S+big\.bin/m);
    await tmux.keys("C-c");
    const screen = await tmux.waitFor(/exit code \d+/);
    assertMatch(screen, /^-c:2: error: Cannot send to "a": cancelled, \d+ of 67108864 bytes sent/m);
    assertMatch(screen, /^exit code 130$/m);
    assert(!screen.includes("sending @"), screen);
  });

  await t.step("with --json the terminal gets no bar at all", async () => {
    await using peer = holdingPeer();
    await using tmux = new Tmux();
    const log = `${dir}/json.log`;
    peer.drain();
    await runInTerminal(tmux, [
      "--json",
      "-c",
      `open tcp a 127.0.0.1:${peer.port}; send a @${file}`,
    ], log);
    const screen = await tmux.waitFor(/exit code \d+/);
    assertMatch(screen, /^exit code 0$/m);
    const raw = await copied(log);
    assert(raw.includes('"text":"sent 67108864 bytes to a"'), raw);
    assert(!raw.includes("sending"), raw);
    assert(!raw.includes("\x1b[K"), JSON.stringify(raw));
  });

  await t.step("when stderr is not a terminal not one byte of a bar is written", async () => {
    await using peer = holdingPeer();
    peer.drain();
    const run = await sockit(["-c", `open tcp a 127.0.0.1:${peer.port}; send a @${file}`]);
    equal(run.code, 0, run.stderr);
    equal(run.stderr, "");
    assertMatch(run.stdout, /^a {2}open {2}tcp .*\nsent 67108864 bytes to a\n$/);
  });

  await Deno.remove(dir, { recursive: true });
});

Deno.test("the interactive shell refuses --json with a one-line error", async () => {
  await using tmux = new Tmux();
  const dir = await Deno.makeTempDir();
  const log = `${dir}/refused.log`;
  await runInTerminal(tmux, ["--json"], log);
  await tmux.waitFor(/exit code \d+/);
  const raw = (await copied(log)).replaceAll("\r\n", "\n");
  assertMatch(
    raw,
    /^\{"line":null,"command":null,"ok":false,"error":\{"code":"usage","message":"--json is for programs, not the interactive shell","hint":"pipe commands on stdin, or use -c or sockit run FILE"\}\}\nexit code 1$/m,
  );
  await Deno.remove(dir, { recursive: true });
});
