/** Recorded sessions on datagram, Unix and TLS sockets: record with the shell, replay green. */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  strictEqual as equal,
} from "node:assert/strict";
import { attachRecorder, formatFailure, replayFile, Shell } from "../mod.ts";
import { makeTestCerts } from "./_peers.ts";

/** Records what `session` does in a fresh shell; returns the script's lines (header dropped). */
async function record(file: string, session: (shell: Shell) => Promise<void>): Promise<string[]> {
  {
    await using shell = new Shell({ timeout: 2000 });
    attachRecorder(shell);
    await shell.execute(`record start ${file}`);
    await session(shell);
    await shell.execute("record stop");
  }
  return (await Deno.readTextFile(file)).split("\n").slice(1);
}

const local = (shell: Shell, name: string) => shell.registry.get(name, "read").info().local;

Deno.test("a recorded UDP session observes one datagram per read, its sender and truncation, and replays green", async () => {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    const lines = await record(file, async (shell) => {
      await shell.execute("listen udp u :0");
      await shell.execute(`open udp a ${local(shell, "u")}`);
      await shell.execute("send a hello");
      await shell.execute("send a hex:00ff");
      await shell.execute("recvfrom u");
      await shell.execute("recvfrom u");
      await shell.execute("sendline u.1 back");
      await shell.execute("recv a");
      await shell.execute("send a 0123456789");
      await shell.execute("recvfrom u 4");
    });
    assertEquals(lines, [
      "listen udp u :0",
      "  u  listening  udp ${u.local}",
      "open udp a ${u.local}",
      "  a  open  udp ${a.local} → ${u.local}",
      "send a hello",
      "  sent 5 bytes to a",
      "send a hex:00ff",
      "  sent 2 bytes to a",
      "recvfrom u",
      '  from ${a.local} "hello"',
      "recvfrom u",
      "  from ${a.local} 00000000  00 ff                                             |..|",
      "sendline u.1 back",
      "  sent 5 bytes to u.1",
      "recv a",
      '  "back\\n"',
      "send a 0123456789",
      "  sent 10 bytes to a",
      "recvfrom u 4",
      '  from ${a.local} "0123" (truncated)',
      "",
    ]);
    const result = await replayFile(file);
    equal(result.status, "passed", result.failure && formatFailure(result.failure));

    // The datagram is compared whole, not as a prefix of a stream.
    const text = await Deno.readTextFile(file);
    await Deno.writeTextFile(file, text.replace('"hello"', '"hell"'));
    const prefix = await replayFile(file);
    equal(prefix.status, "failed");
    equal(prefix.failure?.reason, "received different bytes");
    // Truncation is part of the claim.
    await Deno.writeTextFile(file, text.replace('"0123" (truncated)', '"0123"'));
    const whole = await replayFile(file);
    assertMatch(whole.failure?.reason ?? "", /the datagram was truncated/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("sockit test --update writes a datagram's sender as a variable", async () => {
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    await Deno.writeTextFile(
      file,
      'listen udp u :0\nopen udp a ${u.local}\nsend a hi\nrecvfrom u\n  "nope"\n',
    );
    const updated = await replayFile(file, { update: true });
    equal(updated.status, "failed");
    const text = await Deno.readTextFile(file);
    assertMatch(text, /^recvfrom u\n {2}from \$\{a\.local\} "hi"$/m);
    const again = await replayFile(file);
    equal(again.status, "passed", again.failure && formatFailure(again.failure));
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a recorded Unix session puts its socket file in ${tmp} and replays anywhere", async () => {
  const dir = await Deno.makeTempDir();
  const file = await Deno.makeTempFile({ suffix: ".sockit" });
  try {
    const lines = await record(file, async (shell) => {
      await shell.execute(`listen unix srv ${dir}/s.sock`);
      await shell.execute(`open unix a ${dir}/s.sock`);
      await shell.execute("sendline a hello");
      await shell.execute("recvline srv.1");
    });
    assertEquals(lines.slice(0, 4), [
      "listen unix srv ${tmp}/s.sock",
      "  srv  listening  unix ${srv.local}",
      "open unix a ${srv.local}",
      "  a  open  unix ${a.local} → ${srv.local}",
    ]);
    await Deno.remove(dir, { recursive: true });
    const result = await replayFile(file);
    equal(result.status, "passed", result.failure && formatFailure(result.failure));
  } finally {
    await Deno.remove(file);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a recorded TLS session names its certificate files relative to the script, ${dir}/…", async () => {
  await using certs = await makeTestCerts();
  const file = `${certs.dir}/tls.sockit`;
  const lines = await record(file, async (shell) => {
    await shell.execute(`listen tls srv :0 --cert ${certs.leaf} --key ${certs.leafKey}`);
    const port = local(shell, "srv").split(":")[1];
    await shell.execute(`open tls a localhost:${port} --ca ${certs.ca}`);
    await shell.execute("accept srv");
    await shell.execute("sendline a hello");
    await shell.execute("recvline srv.1");
  });
  assertEquals(lines.slice(0, 3), [
    "listen tls srv :0 --cert ${dir}/leaf.pem --key ${dir}/leaf.key",
    "  srv  listening  tls ${srv.local}",
    "open tls a localhost:${srv.port} --ca ${dir}/ca.pem",
  ]);
  // The folder moves: the script still finds its files.
  const moved = await Deno.makeTempDir();
  try {
    for (const f of ["tls.sockit", "leaf.pem", "leaf.key", "ca.pem"]) {
      await Deno.copyFile(`${certs.dir}/${f}`, `${moved}/${f}`);
    }
    const result = await replayFile(`${moved}/tls.sockit`);
    equal(result.status, "passed", result.failure && formatFailure(result.failure));
  } finally {
    await Deno.remove(moved, { recursive: true });
  }
});
