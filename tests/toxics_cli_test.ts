/**
 * Toxics from the command line: `sockit relay … --toxic`, `sockit record --proxy … --toxic`,
 * and `sockit test --through` replaying a recorded Redis session over a slow, sliced path.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { closedPort, eventually, SOCKIT_RUN } from "./_helpers.ts";
import { acceptsOn, socatListening, spawnPeer } from "./_peers.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** `sockit ARGS…` as a child whose output is collected as it comes. */
function spawnSockit(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...SOCKIT_RUN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const out = { stdout: "", stderr: "" };
  const reading = Promise.all([
    (async () => {
      for await (const c of child.stdout.pipeThrough(new TextDecoderStream())) out.stdout += c;
    })(),
    (async () => {
      for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) out.stderr += c;
    })(),
  ]);
  return {
    out,
    async stop(signal: Deno.Signal = "SIGTERM") {
      child.kill(signal);
      const status = await child.status;
      await reading;
      return status.code;
    },
    async done() {
      const status = await child.status;
      await reading;
      return status.code;
    },
  };
}

/** Reads until `want` bytes came (or fails at end of stream). */
async function readExactly(conn: Deno.Conn, want: number): Promise<string> {
  const out = new Uint8Array(want);
  let got = 0;
  while (got < want) {
    const n = await conn.read(out.subarray(got));
    if (n === null) throw new Error(`end of stream after ${got} bytes`);
    got += n;
  }
  return dec(out);
}

Deno.test("sockit relay --toxic (repeatable) delays and slices what passes, and logs its toxics", async () => {
  const { peer, port: echo } = await socatListening(["TCP-LISTEN:0,reuseaddr,fork", "PIPE"]);
  await using _socat = peer;
  const relay = spawnSockit([
    "relay",
    "127.0.0.1:0",
    `tcp:127.0.0.1:${echo}`,
    "--toxic",
    "latency 100ms --down",
    "--toxic",
    "slicer --size 1 --delay 1ms --down",
  ]);
  const port = Number(
    (await eventually(
      () => /listening on tcp 127\.0\.0\.1:(\d+)/.exec(relay.out.stderr),
      "listening",
    ))[1],
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const t0 = performance.now();
  await conn.write(enc("through toxics\n"));
  assertEquals(await readExactly(conn, 15), "through toxics\n");
  const trip = performance.now() - t0;
  conn.close();
  assert(trip >= 100, `round trip ${trip.toFixed(1)} ms`);
  assertEquals(await relay.stop(), 143);
  assertMatch(relay.out.stderr, /toxic latency: latency 100ms --jitter 0ms --down\n/);
  assertMatch(relay.out.stderr, /toxic slicer: slicer --size 1 --variation 0 --delay 1ms --down\n/);
});

Deno.test("sockit relay --toxic with a typo fails with one line and a hint, listening on nothing", async () => {
  const relay = spawnSockit(["relay", "127.0.0.1:0", "tcp:127.0.0.1:9", "--toxic", "latncy 1s"]);
  assertEquals(await relay.done(), 1);
  assertMatch(relay.out.stderr, /unknown toxic "latncy"/);
  assertMatch(relay.out.stderr, /did you mean latency\?/);
  assert(!relay.out.stderr.includes("listening"));
});

Deno.test({
  name:
    "a Redis session recorded through record --proxy --toxic replays through test --through 'latency 50ms; slicer --size 1' at ≥ 50 ms a round trip",
  ignore: !installed("redis-server"),
  async fn() {
    const dir = await Deno.makeTempDir();
    const file = `${dir}/redis.sockit`;
    try {
      const redisPort = closedPort();
      await using _redis = spawnPeer("redis-server", [
        "--port",
        `${redisPort}`,
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
      ]);
      await acceptsOn(redisPort, "redis-server");
      const proxy = spawnSockit([
        "record",
        "--proxy",
        "127.0.0.1:0",
        `127.0.0.1:${redisPort}`,
        file,
        "--toxic",
        "latency 100ms --down",
      ]);
      const at = await eventually(
        () => /proxy listening on 127\.0\.0\.1:(\d+)/.exec(proxy.out.stdout),
        "the proxy listening",
      );
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(at[1]) });
      const ask = async (command: string, answer: string) => {
        const t0 = performance.now();
        await conn.write(enc(command));
        assertEquals(await readExactly(conn, answer.length), answer);
        return performance.now() - t0;
      };
      const trips = [
        await ask("PING\r\n", "+PONG\r\n"),
        await ask("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nslow!\r\n", "+OK\r\n"),
        await ask("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "$5\r\nslow!\r\n"),
      ];
      conn.close();
      for (const t of trips) assert(t >= 100, `a round trip through the proxy took ${t} ms`);
      await eventually(() => /c1: closed/.test(proxy.out.stderr), "the connection recorded");
      assertEquals(await proxy.stop(), 143);
      const script = await Deno.readTextFile(file);
      assertMatch(script, /^recv c1\n {2}"\$5\\r\\nslow!\\r\\n"$/m);

      const plain = spawnSockit(["test", file]);
      assertEquals(await plain.done(), 0, plain.out.stdout + plain.out.stderr);
      const slow = spawnSockit(["test", "--through", "latency 50ms; slicer --size 1", file]);
      assertEquals(await slow.done(), 0, slow.out.stdout + slow.out.stderr);
      const ms = (text: string) => Number(/^ok .*\(\d+ steps, (\d+)ms\)$/m.exec(text)![1]);
      console.log(
        `3 round trips: ${ms(plain.out.stdout)} ms direct, ${
          ms(slow.out.stdout)
        } ms --through 'latency 50ms; slicer --size 1'`,
      );
      assert(ms(slow.out.stdout) >= 3 * 50, slow.out.stdout);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("test --through with a bad toxic is a one-line usage error", async () => {
  const run = spawnSockit(["test", "--through", "latency 50ms; slicr --size 1", "nothing.sockit"]);
  assertEquals(await run.done(), 1);
  assertMatch(
    run.out.stderr,
    /Cannot test --through: unknown toxic "slicr".*did you mean slicer\?/s,
  );
});

/** Whether `program` is on PATH (Redis is a Debian peer .ci/run installs). */
function installed(program: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}
