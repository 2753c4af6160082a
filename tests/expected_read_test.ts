/** recvExpected, the one primitive replay and the mock check received bytes with, on both receivers. */
import { deepStrictEqual as deepEqual, strictEqual as equal } from "node:assert/strict";
import { DatagramQueue } from "../sockets/datagram_queue.ts";
import { ReceiveBuffer } from "../sockets/receive_buffer.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("recvExpected on a stream passes however the expected bytes are split", async () => {
  const buffer = new ReceiveBuffer();
  const read = buffer.recvExpected(enc.encode("hello world"), { timeout: 1000 });
  buffer.push(enc.encode("hel"));
  buffer.push(enc.encode("lo "));
  buffer.push(enc.encode("world and more"));
  const r = await read;
  equal(r.status, "ok");
  equal(dec.decode(r.data), "hello world");
  equal(dec.decode(buffer.drain()), " and more");
});

Deno.test("recvExpected on a stream stops at the first differing byte and keeps every byte buffered", async () => {
  const buffer = new ReceiveBuffer();
  const read = buffer.recvExpected(enc.encode("PING\r\n"), { timeout: 60_000 });
  buffer.push(enc.encode("PX"));
  const r = await read; // long before the deadline: the second byte already differs
  equal(r.status, "mismatch");
  equal(r.at, 1);
  equal(dec.decode(r.data), "PX");
  equal(buffer.size, 2);
});

Deno.test("recvExpected on a stream that ends early is eof, and one that stays short times out", async () => {
  const ended = new ReceiveBuffer();
  ended.push(enc.encode("PIN"));
  ended.end();
  const eof = await ended.recvExpected(enc.encode("PING"));
  equal(eof.status, "eof");
  equal(ended.size, 3);
  const short = new ReceiveBuffer();
  short.push(enc.encode("PI"));
  const timeout = await short.recvExpected(enc.encode("PING"), { timeout: 10 });
  equal(timeout.status, "timeout");
  equal(dec.decode(timeout.data), "PI");
});

Deno.test("recvExpected on datagrams compares the next datagram whole and keeps one that differs", async () => {
  const queue = new DatagramQueue();
  queue.push(enc.encode("hello world"), "127.0.0.1:5000");
  const prefix = await queue.all.recvExpected(enc.encode("hello"), { timeout: 100 });
  equal(prefix.status, "mismatch");
  equal(prefix.at, 5);
  equal(prefix.from, "127.0.0.1:5000");
  const whole = await queue.all.recvExpected(enc.encode("hello world"), { timeout: 100 });
  equal(whole.status, "ok");
  deepEqual(dec.decode(whole.data), "hello world");
  equal(queue.size, 0);
});
