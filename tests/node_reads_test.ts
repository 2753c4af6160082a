/**
 * sockets/node_reads.ts keeps a node socket's `data` chunks without copying them. That is safe
 * only while the runtime gives every chunk a buffer of its own and never writes into one it gave
 * out; these tests hold every chunk of a bulk transfer and check them at the end.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { NodeReads } from "../sockets/node_reads.ts";

const SIZE = 8 << 20;
const pattern = (i: number) => i % 251;

async function sendPattern(port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const data = new Uint8Array(SIZE).map((_, i) => pattern(i));
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off, off + 65536));
  await conn.closeWrite();
  conn.close();
}

Deno.test("node:net gives each data chunk its own buffer, untouched while it is held", async () => {
  const chunks: Uint8Array[] = [];
  const ended = Promise.withResolvers<void>();
  const server = net.createServer((socket) => {
    socket.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    socket.on("end", () => ended.resolve());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await sendPattern((server.address() as net.AddressInfo).port);
    await ended.promise;
    assert.equal(chunks.reduce((n, c) => n + c.length, 0), SIZE);
    assert.equal(new Set(chunks.map((c) => c.buffer)).size, chunks.length);
    let off = 0;
    let wrong = 0;
    for (const c of chunks) for (const b of c) if (b !== pattern(off++)) wrong++;
    assert.equal(wrong, 0);
  } finally {
    server.close();
  }
});

Deno.test("NodeReads read in small pieces gives every byte of a bulk transfer in order", async () => {
  const accepted = Promise.withResolvers<net.Socket>();
  const server = net.createServer((socket) => accepted.resolve(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const sending = sendPattern((server.address() as net.AddressInfo).port);
    const reads = new NodeReads(await accepted.promise);
    const buf = new Uint8Array(1000);
    let off = 0;
    let wrong = 0;
    for (let n = await reads.read(buf); n !== null; n = await reads.read(buf)) {
      for (let i = 0; i < n; i++) if (buf[i] !== pattern(off++)) wrong++;
    }
    await sending;
    assert.deepEqual([off, wrong], [SIZE, 0]);
  } finally {
    server.close();
  }
});
