/**
 * `sockit record --proxy` writes as it goes: large payloads go to side files next to the
 * script, and the recording still replays against the server and mocks it.
 */
import assert from "node:assert/strict";
import { startProxy } from "../session/proxy.ts";
import { replayFile } from "../session/run.ts";
import { parseScript } from "../session/parse.ts";
import { startMock } from "../session/mock.ts";

const SIZE = 300 * 1024;

/** A server that reads SIZE bytes, then answers them reversed (so the answer differs). */
function collector(): Deno.TcpListener & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const loop = (async () => {
    for await (const conn of listener) {
      const got = new Uint8Array(SIZE);
      let n = 0;
      while (n < SIZE) {
        const r = await conn.read(got.subarray(n));
        if (r === null) break;
        n += r;
      }
      got.reverse();
      let off = 0;
      while (off < SIZE) off += await conn.write(got.subarray(off));
      await conn.read(new Uint8Array(1)).catch(() => null); // until the client closes
      conn.close();
    }
  })().catch(() => {});
  return Object.assign(listener, {
    async [Symbol.asyncDispose]() {
      listener.close();
      await loop;
    },
  });
}

async function talk(address: string, payload: Uint8Array): Promise<Uint8Array> {
  const [hostname, port] = address.split(":");
  const conn = await Deno.connect({ hostname, port: Number(port) });
  let off = 0;
  while (off < payload.length) off += await conn.write(payload.subarray(off));
  const answer = new Uint8Array(SIZE);
  let n = 0;
  while (n < SIZE) {
    const r = await conn.read(answer.subarray(n));
    if (r === null) break;
    n += r;
  }
  conn.close();
  return answer.subarray(0, n);
}

Deno.test("a large conversation through the proxy is recorded with side files, and replays and mocks green", async () => {
  await using server = collector();
  const dir = await Deno.realPath(await Deno.makeTempDir());
  const file = `${dir}/big.sockit`;
  const payload = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i += 65536) crypto.getRandomValues(payload.subarray(i, i + 65536));
  const proxy = await startProxy({ target: `127.0.0.1:${server.addr.port}`, file });
  const answer = await talk(proxy.address, payload);
  assert.deepEqual(answer, payload.slice().reverse());
  await proxy.close();

  const text = await Deno.readTextFile(file);
  assert.match(
    text,
    /^send c1 @\$\{dir\}\/big\.sockit\.c1-1-sent\.bin\n {2}sent 307200 bytes to c1$/m,
  );
  assert.match(text, /^recv c1\n {2}@\$\{dir\}\/big\.sockit\.c1-2-received\.bin$/m);
  assert.ok(text.length < 2000, `the script holds no bulk bytes (${text.length} chars)`);
  assert.deepEqual(await Deno.readFile(`${dir}/big.sockit.c1-1-sent.bin`), payload);

  const replayed = await replayFile(file);
  assert.equal(replayed.status, "passed", replayed.failure?.reason);

  await using mock = await startMock(parseScript(text, file));
  assert.deepEqual(await talk(mock.address, payload), payload.slice().reverse());
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an @FILE observation fails a replay that receives other bytes, and names a missing file", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  await Deno.writeTextFile(`${dir}/answer.txt`, "hello\n");
  const file = `${dir}/obs.sockit`;
  const script = (observed: string) =>
    [
      "serve echo tcp e :0",
      "open tcp a ${e.local}",
      "sendline a hellO",
      "recv a",
      `  @${observed}`,
    ].join("\n");
  await Deno.writeTextFile(file, script("${dir}/answer.txt"));
  const wrong = await replayFile(file);
  assert.equal(wrong.failure?.reason, "received different bytes");
  await Deno.writeTextFile(`${dir}/answer.txt`, "hellO\n");
  assert.equal((await replayFile(file)).status, "passed");
  await Deno.writeTextFile(file, script("${dir}/missing.txt"));
  assert.match(
    (await replayFile(file)).failure!.reason,
    /Cannot read the observation ".*missing\.txt"/,
  );
  await Deno.remove(dir, { recursive: true });
});
