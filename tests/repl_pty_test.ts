/**
 * Drives the interactive shell through a real pseudo-terminal (tmux): completion, events above
 * the prompt, Ctrl-C, Ctrl-D and history.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { Tmux } from "./_tmux.ts";

Deno.test("the interactive shell completes, shows events above the typed line, and obeys Ctrl-C and Ctrl-D", async (t) => {
  const state = await Deno.makeTempDir();
  await using tmux = new Tmux();
  await tmux.startShell(state);

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
      await tmux.waitFor(/^sending @\S+big\.bin {2}[\d.]+ MiB \/ 64\.0 MiB/m);
      await tmux.keys("C-c");
      await tmux.waitFor(/Cannot send to "b": cancelled, \d+ of 67108864 bytes sent/);
      await tmux.keys("ls b", "Enter");
      // The prompt answers; counts show human-readable on a terminal and the note may be cut.
      await tmux.waitFor(/^b +tcp +open +127\.0\.0\.1:\d+ +127\.0\.0\.1:\d+ /m);
      await tmux.keys("close b", "Enter");
      await tmux.waitFor(/closed b/);
    } finally {
      (await accepted).close();
      silent.close();
      await Deno.remove(big);
    }
  });

  await t.step("the prompt survives a built-in server's worker starting", async () => {
    const raw = await Deno.makeTempFile();
    await tmux.run("pipe-pane", "-t", "t", "-o", `cat > ${raw}`);
    await tmux.keys("C-l", "serve echo tcp e :0", "Enter");
    const screen = await tmux.waitFor(/e {2}listening {2}tcp 127\.0\.0\.1:(\d+) {2}\(echo\)/);
    const echoPort = Number(/127\.0\.0\.1:(\d+) {2}\(echo\)/.exec(screen)![1]);
    // An echoed byte proves the worker's module has loaded (Deno cleared its progress line
    // then, erasing the prompt, before the tasks ran deno with -q).
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: echoPort });
    try {
      await conn.write(new Uint8Array([1]));
      await conn.read(new Uint8Array(1));
    } finally {
      conn.close();
    }
    const settled = await tmux.waitFor(/\[e#1\] closed\n/);
    assertEquals(settled.trimEnd().split("\n").at(-1), "sockit>");
    await tmux.run("pipe-pane", "-t", "t");
    const written = await Deno.readTextFile(raw);
    await Deno.remove(raw);
    assert(written.includes("listening"), written);
    assert(!written.includes("\x1b[2K"), `something erased a line: ${JSON.stringify(written)}`);
    await tmux.keys("close e", "Enter");
    await tmux.waitFor(/^closed e$/m);
  });

  await t.step("bytes that arrive while a command runs are announced when it ends", async () => {
    await tmux.keys("C-l", `open tcp b 127.0.0.1:${port}`, "Enter");
    await tmux.waitFor(/b {2}open {2}tcp/);
    await tmux.keys("accept srv", "Enter");
    await tmux.waitFor(/srv\.2 {2}accepted/);
    // The bytes reach srv.2 at once; the shell's own sleep outlasts the moment events wait.
    await tmux.keys("send b hi", "Enter", "sleep 300ms", "Enter");
    await tmux.waitFor(/sent 2 bytes to b\n\[srv\.2\] 2 bytes waiting \(recv srv\.2\)\n/);
    await tmux.keys("send b more", "Enter");
    await tmux.waitFor(/sent 4 bytes to b\n/);
    await tmux.keys("recv srv.2", "Enter");
    const screen = await tmux.waitFor(/"himore"/);
    assertEquals(screen.match(/bytes waiting/g)?.length, 1, "one line while nobody read");
  });

  await t.step(
    "Tab offers protocols, the values of a setting and frames",
    async () => {
      await tmux.keys("C-l", "serve ", "Tab", "Tab");
      await tmux.waitFor(/echo +ack +chat +discard +daytime/);
      await tmux.keys("C-u", "set events ", "Tab", "Tab");
      await tmux.waitFor(/all +off +quiet|all +quiet +off/);
      await tmux.keys("C-u", "frame b ne", "Tab");
      await tmux.waitFor(/sockit> frame b netstring *$/m);
      await tmux.keys("C-u");
    },
  );

  await t.step("a line typed with a leading space stays out of the history", async () => {
    await tmux.keys("C-l", ' sendline srv.1 "pw: hunter2"', "Enter");
    await tmux.waitFor(/sent 12 bytes to srv\.1/);
  });

  await t.step("Ctrl-D closes every socket, exits 0 and keeps the history", async () => {
    await tmux.keys("C-d");
    await tmux.waitFor(/exit code 0/);
    const history = await Deno.readTextFile(`${state}/sockit/history`);
    assert(history.includes("listen tcp srv :0\n"), history);
    assert(history.includes("accept srv --timeout 1m\n"), history);
    assert(!history.includes("hunter2"), history);
    assertEquals((await Deno.stat(`${state}/sockit/history`)).mode! & 0o777, 0o600);
  });
  await Deno.remove(state, { recursive: true });
});
