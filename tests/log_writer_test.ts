/**
 * The log writer's thread: a bulk `send @file` to a logged socket hands its chunks over without
 * a copy and from a pool of reused buffers, and the log still holds every byte in order; a log
 * that cannot be written says so, in one line, when it is closed.
 */
import assert from "node:assert/strict";
import { Shell } from "../shell/shell.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Runs `sockit ARGS` with every permission, as `deno run -A main.ts` would. */
async function sockitAll(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${ROOT}deno.json`, `${ROOT}main.ts`, ...args],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** A peer that reads one connection to its end and resolves with every byte it got. */
function collector(): { port: number; bytes: Promise<Uint8Array>; [Symbol.dispose](): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const bytes = (async () => {
    const conn = await listener.accept();
    return new Uint8Array(await new Response(conn.readable).arrayBuffer());
  })().catch(() => new Uint8Array(0)); // closed before anyone connected
  return {
    port: listener.addr.port,
    bytes,
    [Symbol.dispose]: () => listener.close(),
  };
}

/** Fails with the first differing offset (a diff of 40 MiB would not fit in memory). */
function assertSameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} bytes, not ${want.length}`);
  const at = got.findIndex((b, i) => b !== want[i]);
  assert.equal(at, -1, `${what}: the bytes differ first at offset ${at}`);
}

/** Base64 decoded by the runtime (V8's Uint8Array.fromBase64). */
function decodeBase64(text: string): Uint8Array {
  return (Uint8Array as unknown as { fromBase64(s: string): Uint8Array }).fromBase64(text);
}

/** The bytes of every `data` record of a JSON Lines log going `dir`, joined in order. */
async function loggedBytes(file: string, dir: "in" | "out"): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const line of (await Deno.readTextFile(file)).trim().split("\n")) {
    const o = JSON.parse(line);
    if (o.event === "data" && o.dir === dir) parts.push(decodeBase64(o.bytes));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

Deno.test("a logged send of a 40 MiB file: the log holds every byte in order, though its chunk buffers are reused", async () => {
  // More than the writer may hold (16 MiB) and more than the pool keeps: buffers are reused
  // while the transfer runs, and a buffer reused too early would show as wrong bytes here.
  const dir = await Deno.makeTempDir();
  const payload = `${dir}/payload.bin`;
  const data = new Uint8Array(40 * 1024 * 1024);
  for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  await Deno.writeFile(payload, data);
  using peer = collector();
  const log = `${dir}/run.jsonl`;
  {
    await using shell = new Shell();
    await shell.execute(`log start ${log}`);
    await shell.execute(`open tcp a 127.0.0.1:${peer.port}`);
    await shell.execute(`send a @${payload}`);
    await shell.execute("close a");
    await shell.execute("log stop");
  }
  assertSameBytes(await peer.bytes, data, "the peer");
  assertSameBytes(await loggedBytes(log, "out"), data, "the log");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a log that cannot be written fails its run in one line naming the file", async () => {
  // /dev/full opens, and every write to it fails with ENOSPC.
  using peer = collector();
  // Deno grants /dev/full to --allow-all only.
  const run = await sockitAll([
    "--log",
    "/dev/full",
    "--log-format",
    "pcap",
    "-c",
    `open tcp a 127.0.0.1:${peer.port}; send a "hello"; close a`,
  ]);
  assert.notEqual(run.code, 0, run.stderr);
  const lines = run.stderr.trim().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /Cannot log to "\/dev\/full": .*(space|ENOSPC)/i);
  assert.deepStrictEqual(await peer.bytes, new TextEncoder().encode("hello"));
});
