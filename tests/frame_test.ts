import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import type { Result } from "../commands/result.ts";
import { as } from "./_helpers.ts";

const text = (r: Result) => r.kind === "data" ? new TextDecoder().decode(r.data) : `<${r.kind}>`;
const bytes = (r: Result) => r.kind === "data" ? [...r.data] : [];

/** A listener, a client `a` and its accepted peer `srv.1`. */
async function pair(shell: Shell): Promise<void> {
  const addr = as(await shell.execute("listen tcp srv :0"), "socket").info.local;
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute("accept srv");
}

Deno.test("frame u32: send adds a big-endian length and recv returns one whole message", async () => {
  await using shell = new Shell();
  await pair(shell);
  assertEquals(as(await shell.execute("frame a u32"), "message").text, "a frame u32");
  await shell.execute("send a hello");
  await shell.execute("send a hex:00ff");
  assertEquals(bytes(await shell.execute("recvexact srv.1 9")), [
    0,
    0,
    0,
    5,
    104,
    101,
    108,
    108,
    111,
  ]);
  assertEquals(bytes(await shell.execute("recvexact srv.1 6")), [0, 0, 0, 2, 0, 0xff]);
  await shell.execute("frame srv.1 u32");
  await shell.execute('send srv.1 "one" "two"');
  await shell.execute("send srv.1 three");
  assertEquals(text(await shell.execute("recv a")), "onetwo");
  assertEquals(text(await shell.execute("recv a")), "three");
});

Deno.test("frame line: recv returns a line without its newline and sendline adds only one", async () => {
  await using shell = new Shell();
  await pair(shell);
  await shell.execute("frame a line");
  await shell.execute("frame srv.1 line");
  await shell.execute("sendline a first");
  await shell.execute("send a second");
  assertEquals(text(await shell.execute("recv srv.1")), "first");
  assertEquals(text(await shell.execute("recv srv.1")), "second");
  await assertRejects(shell.execute('send a "a\\nb"'), /contains the delimiter/);
});

Deno.test("a framed recv that times out keeps the partial message buffered", async () => {
  await using shell = new Shell();
  await pair(shell);
  await shell.execute("frame srv.1 netstring");
  await shell.execute("send a 5:hel");
  await assertRejects(
    shell.execute("recv srv.1 --timeout 100ms"),
    /timed out after 100ms \(5 bytes kept in buffer: "5:hel"\)/,
  );
  await shell.execute("send a lo,");
  assertEquals(text(await shell.execute("recv srv.1")), "hello");
});

Deno.test("frame none goes back to raw bytes, and frame NAME shows the current frame", async () => {
  await using shell = new Shell();
  await pair(shell);
  await shell.execute("frame a crlf");
  assertEquals(as(await shell.execute("frame a"), "message").text, "a frame crlf");
  await shell.execute("frame a none");
  assertEquals(as(await shell.execute("frame a"), "message").text, "a frame none");
  await shell.execute("send a raw");
  assertEquals(text(await shell.execute("recvexact srv.1 3")), "raw");
});

Deno.test("frame refuses listeners and unknown frames", async () => {
  await using shell = new Shell();
  await pair(shell);
  await assertRejects(shell.execute("frame srv u16"), /it is a listener/);
  await assertRejects(shell.execute("frame a u61"), /Unknown frame "u61"/);
});

Deno.test("frame srv.* sets the frame on every accepted peer", async () => {
  await using shell = new Shell();
  await pair(shell);
  assertEquals(as(await shell.execute("frame srv.* u16"), "message").text, "srv.1 frame u16");
});

Deno.test("echo --frame netstring echoes whole messages in the same frame", async () => {
  await using shell = new Shell();
  const addr =
    as(await shell.execute("serve echo tcp e :0 --frame netstring"), "socket").info.local;
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute("frame a netstring");
  await shell.execute("send a hi");
  await shell.execute('send a ""');
  assertEquals(text(await shell.execute("recv a")), "hi");
  assertEquals(text(await shell.execute("recv a")), "");
});

Deno.test("ack --frame u16 acknowledges each message in a u16 frame", async () => {
  await using shell = new Shell();
  const addr = as(await shell.execute("serve ack tcp k :0 --frame u16"), "socket").info.local;
  await shell.execute(`open tcp a ${addr}`);
  await shell.execute("frame a u16");
  await shell.execute('send a "multi\\nline"');
  await shell.execute("send a second");
  assertEquals(text(await shell.execute("recv a")), 'ACK 1 "multi\\nline"');
  assertEquals(text(await shell.execute("recv a")), 'ACK 2 "second"');
  assertEquals(
    as(await shell.execute("ls k"), "table").rows[0][8],
    "ack --frame u16: 1 connected, 1 total",
  );
});

Deno.test("a framed or UDP send of a file over the limit is refused before the file is read", async () => {
  await using shell = new Shell();
  await pair(shell);
  await shell.execute("frame a u32");
  const dir = await Deno.makeTempDir();
  try {
    const big = `${dir}/big.bin`;
    await Deno.truncate(big, 1024 ** 3).catch(async () => {
      await Deno.writeFile(big, new Uint8Array(0));
      await Deno.truncate(big, 1024 ** 3); // sparse: takes no disk and no time to make
    });
    const before = Deno.memoryUsage().rss;
    await assertRejects(
      shell.execute(`send a @${big}`),
      /^SockitError: Cannot send to "a": 1073741824 bytes is over the u32 frame's limit of 4194304 bytes$/,
    );
    const u = as(await shell.execute("listen udp u :0"), "socket").info.local;
    await shell.execute(`open udp b ${u}`);
    await assertRejects(
      shell.execute(`send b @${big}`),
      /Cannot send to "b": 1073741824 bytes is over the largest UDP datagram of 65527 bytes/,
    );
    // Reading 1 GiB first would have cost about that much memory.
    const grew = Deno.memoryUsage().rss - before;
    if (grew > 256 * 1024 ** 2) throw new Error(`memory grew by ${grew} bytes`);
    assertEquals(as(await shell.execute("ls srv.1"), "table").rows[0][5], "0");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
