/**
 * Drives the interactive shell through a real pseudo-terminal (tmux): completion, events above
 * the prompt, Ctrl-C, Ctrl-D and history.
 */
import { deepEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { SOCKIT_RUN } from "./_helpers.ts";

class Tmux implements AsyncDisposable {
  readonly socket = `sockit-test-${crypto.randomUUID().slice(0, 8)}`;

  async run(...args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", { args: ["-L", this.socket, ...args] }).output();
    return new TextDecoder().decode(out.stdout);
  }

  /** Types keys (tmux key names such as Enter, Tab, C-c). */
  keys(...keys: string[]): Promise<string> {
    return this.run("send-keys", "-t", "t", ...keys);
  }

  screen(): Promise<string> {
    return this.run("capture-pane", "-t", "t", "-p");
  }

  /** Waits until the screen matches, up to 10 s; returns the screen. */
  async waitFor(pattern: RegExp): Promise<string> {
    const deadline = Date.now() + 10_000;
    let screen = "";
    while (Date.now() < deadline) {
      screen = await this.screen();
      if (pattern.test(screen)) return screen;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`screen never matched ${pattern}:\n${screen}`);
  }

  async [Symbol.asyncDispose]() {
    await this.run("kill-server");
  }
}

Deno.test("the interactive shell completes, shows events above the typed line, and obeys Ctrl-C and Ctrl-D", async (t) => {
  const state = await Deno.makeTempDir();
  await using tmux = new Tmux();
  const command = [
    "env",
    "NO_COLOR=1",
    `XDG_STATE_HOME=${state}`,
    Deno.execPath(),
    ...SOCKIT_RUN,
  ].join(" ");
  await tmux.run(
    "new-session",
    "-d",
    "-s",
    "t",
    "-x",
    "100",
    "-y",
    "40",
    `${command}; echo "exit code $?"; sleep 30`,
  );
  await tmux.waitFor(/^sockit>$/m);

  let port = 0;
  await t.step("a listener shows the address it chose", async () => {
    await tmux.keys("listen tcp srv :0", "Enter");
    const screen = await tmux.waitFor(/srv {2}listening {2}tcp 127\.0\.0\.1:\d+/);
    port = Number(/127\.0\.0\.1:(\d+)/.exec(screen)![1]);
  });

  await t.step(
    "Tab completes a transport kind and lists commands that share a prefix",
    async () => {
      await tmux.keys("open tc");
      await tmux.waitFor(/sockit> open tc$/m);
      await tmux.keys("Tab");
      await tmux.waitFor(/sockit> open tcp$/m);
      await tmux.keys("C-u");
      await tmux.waitFor(/^sockit>$/m);
      // The first Tab completes what the candidates share (sen → send); the next one, seen on
      // the screen to be a keypress of its own, lists them.
      await tmux.keys("sen");
      await tmux.waitFor(/^sockit> sen$/m);
      await tmux.keys("Tab");
      await tmux.waitFor(/^sockit> send$/m);
      await tmux.keys("Tab");
      await tmux.waitFor(/send +sendline +sendafter +sendlineafter +sendto/);
      await tmux.keys("C-u");
    },
  );

  await t.step(
    "an accepted peer is announced above the line being typed, which survives",
    async () => {
      await tmux.keys("sendline srv.1 half typed");
      const peer = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        await peer.write(new TextEncoder().encode("hello from the test\n"));
        const screen = await tmux.waitFor(/\[srv\.1\] 20 bytes waiting/);
        assertMatch(screen, /\[srv\] accepted srv\.1 from 127\.0\.0\.1:\d+\n/);
        const lines = screen.trimEnd().split("\n");
        assertEquals(lines.at(-1), "sockit> sendline srv.1 half typed");
        await tmux.keys("Enter");
        await tmux.waitFor(/sent 11 bytes to srv\.1/);
        const buf = new Uint8Array(64);
        const n = await peer.read(buf);
        assertEquals(new TextDecoder().decode(buf.subarray(0, n!)), "half typed\n");
      } finally {
        peer.close();
      }
    },
  );

  await t.step("Ctrl-C cancels a waiting recv and the shell keeps running", async () => {
    await tmux.keys("recvline srv.");
    await tmux.waitFor(/sockit> recvline srv\.$/m);
    await tmux.keys("Tab");
    await tmux.waitFor(/sockit> recvline srv\.1$/m);
    await tmux.keys("Enter");
    await tmux.waitFor(/"hello from the test\\n"/);
    await tmux.keys("accept srv", "Enter");
    await tmux.waitFor(/srv\.1 {2}accepted/);
    // Ctrl-C right behind Enter: the line starts running before the key is read, so the
    // key cancels it however soon it comes.
    await tmux.keys("accept srv --timeout 1m", "Enter", "C-c");
    await tmux.waitFor(/Cannot accept on "srv": cancelled/);
    await tmux.keys("ls", "Enter");
    await tmux.waitFor(/srv\.1 +tcp +peer-closed/);
  });

  await t.step("Ctrl-C ends a send blocked on a peer that never reads", async () => {
    const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted = silent.accept();
    const big = `${state}/big.bin`;
    await Deno.writeFile(big, new Uint8Array(64 * 1024 * 1024));
    try {
      await tmux.keys(`open tcp b 127.0.0.1:${silent.addr.port}`, "Enter");
      await tmux.waitFor(/b {2}open {2}tcp/);
      await tmux.keys(`send b @${big}`, "Enter");
      await tmux.waitFor(/sending… /);
      await tmux.keys("C-c");
      await tmux.waitFor(/Cannot send to "b": cancelled, \d+ of 67108864 bytes sent/);
      await tmux.keys("ls b", "Enter");
      await tmux.waitFor(/^b +tcp +open .* 0 +[1-9]\d* +0 +\d+ bytes of an ended/m);
      await tmux.keys("close b", "Enter");
      await tmux.waitFor(/closed b/);
    } finally {
      (await accepted).close();
      silent.close();
      await Deno.remove(big);
    }
  });

  await t.step("Ctrl-D closes every socket, exits 0 and keeps the history", async () => {
    await tmux.keys("C-d");
    await tmux.waitFor(/exit code 0/);
    const history = await Deno.readTextFile(`${state}/sockit/history`);
    assert(history.includes("listen tcp srv :0\n"), history);
    assert(history.includes("accept srv --timeout 1m\n"), history);
  });
  await Deno.remove(state, { recursive: true });
});
