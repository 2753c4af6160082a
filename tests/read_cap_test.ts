/**
 * Reads that need more than the receive buffer's 4 MiB cap succeed on real loopback sockets: the
 * read raises the cap for itself, so the read pump goes on reading instead of waiting for a
 * timeout with the data in the kernel.
 */
import assert from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { as } from "./_helpers.ts";
import { failure, text } from "./_peers.ts";

/** A Deno client on `address` that writes `payload` and keeps the connection open. */
async function sender(address: string, payload: Uint8Array): Promise<Deno.TcpConn> {
  const [hostname, port] = address.split(":");
  const conn = await Deno.connect({ hostname, port: Number(port) });
  (async () => {
    let off = 0;
    while (off < payload.length) off += await conn.write(payload.subarray(off, off + (1 << 20)));
  })().catch(() => {});
  return conn;
}

function pattern(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 7 + (i >> 12)) & 0xff;
  return bytes;
}

async function listening(shell: Shell): Promise<string> {
  return as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket").info.local;
}

Deno.test("recvexact of 8 MiB, twice the buffer cap, returns every byte in order", async () => {
  await using shell = new Shell({ timeout: 30_000 });
  const payload = pattern(8 * 1024 * 1024 + 3);
  const conn = await sender(await listening(shell), payload);
  try {
    await shell.execute("accept srv");
    const r = as(await shell.execute("recvexact srv.1 8388611"), "data");
    assert.equal(r.data.length, payload.length);
    assert.ok(r.data.every((b, i) => b === payload[i]), "the bytes arrive unchanged, in order");
  } finally {
    conn.close();
  }
});

Deno.test("recvline whose newline is 5 MiB away returns the whole line", async () => {
  await using shell = new Shell({ timeout: 30_000 });
  const line = new Uint8Array(5 * 1024 * 1024 + 1).fill(0x61);
  line[line.length - 1] = 0x0a;
  const rest = new TextEncoder().encode("next\n");
  const conn = await sender(await listening(shell), new Uint8Array([...line, ...rest]));
  try {
    await shell.execute("accept srv");
    const r = as(await shell.execute("recvline srv.1"), "data");
    assert.equal(r.data.length, line.length);
    assert.equal(r.data.at(-1), 0x0a);
    assert.equal(text(await shell.execute("recvline srv.1")), "next\n");
  } finally {
    conn.close();
  }
});

Deno.test("recvexact above the 1 GiB read limit is a one-line error and the bytes stay", async () => {
  await using shell = new Shell({ timeout: 5000 });
  const conn = await sender(await listening(shell), new TextEncoder().encode("hello"));
  try {
    await shell.execute("accept srv");
    assert.equal(
      await failure(shell, "recvexact srv.1 2000000000"),
      "error: Cannot recvExact 2000000000 bytes: one read may buffer at most 1 GiB",
    );
    assert.equal(text(await shell.execute("recvexact srv.1 5")), "hello");
  } finally {
    conn.close();
  }
});
