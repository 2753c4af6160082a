import assert from "node:assert/strict";
import { DatagramQueue } from "./datagram_queue.ts";

const enc = new TextEncoder();
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("the queue is bounded by datagram count too, so empty datagrams cannot fill memory", () => {
  const queue = new DatagramQueue({ maxDatagrams: 3 });
  const kept = [0, 1, 2, 3, 4].map(() => queue.push(new Uint8Array(0), "127.0.0.1:1"));
  assert.deepEqual(kept, [true, true, true, false, false]);
  assert.deepEqual([queue.count, queue.size, queue.dropped], [3, 0, 2]);
});

Deno.test("the queue is bounded by bytes, and reading frees room for more", async () => {
  const queue = new DatagramQueue({ cap: 4 });
  assert.equal(queue.push(enc.encode("abc"), "127.0.0.1:1"), true);
  assert.equal(queue.push(enc.encode("de"), "127.0.0.1:1"), false);
  await queue.all.recv(10);
  assert.equal(queue.push(enc.encode("de"), "127.0.0.1:1"), true);
  assert.equal(queue.dropped, 1);
});

Deno.test("each sender's view and the view of all agree on sizes and order however they are read", async () => {
  const queue = new DatagramQueue();
  const a = queue.view("127.0.0.1:1");
  const b = queue.view("127.0.0.1:2");
  for (let i = 0; i < 3000; i++) {
    queue.push(enc.encode(`${i}`), i % 2 ? "127.0.0.1:2" : "127.0.0.1:1");
  }
  // Read b's datagrams through its view, and the rest through the view of all.
  for (let i = 1; i < 3000; i += 2) assert.equal(dec((await b.recv(10)).data), `${i}`);
  assert.deepEqual([b.size, queue.count], [0, 1500]);
  const expectedA = Array.from({ length: 1500 }, (_, k) => `${2 * k}`).join("").length;
  assert.deepEqual([a.size, queue.size], [expectedA, expectedA]);
  for (let i = 0; i < 3000; i += 2) assert.equal(dec((await queue.all.recv(10)).data), `${i}`);
  assert.deepEqual([queue.count, queue.size, a.size], [0, 0, 0]);
});

Deno.test("a partly read datagram stays at the head of both its sender's view and the view of all", async () => {
  const queue = new DatagramQueue();
  const a = queue.view("127.0.0.1:1");
  queue.push(enc.encode("one\ntwo"), "127.0.0.1:1");
  queue.push(enc.encode("x"), "127.0.0.1:2");
  assert.equal(dec((await a.recvLine()).data), "one\n");
  assert.equal(dec((await queue.all.recv(10)).data), "two");
  assert.equal(dec((await queue.all.recv(10)).data), "x");
  assert.equal(queue.count, 0);
});
