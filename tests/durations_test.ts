/**
 * Durations above what setTimeout can wait (2^31-1 ms, about 24.8 days) are waited for, not
 * wrapped to 1 ms; `--timeout none` waits until served or cancelled; beyond 365 days is a
 * one-line error. Timers are watched (they run as usual), so no test waits for a long one.
 */
import assert from "node:assert/strict";
import { Shell } from "../shell/shell.ts";
import { as } from "./_helpers.ts";
import { failure, text } from "./_peers.ts";
import { spyTimers, until } from "./_timers.ts";

const LONGEST_TIMER = 2 ** 31 - 1;

async function listening(shell: Shell): Promise<{ hostname: string; port: number }> {
  const local = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket").info.local;
  return { hostname: "127.0.0.1", port: Number(local.split(":")[1]) };
}

Deno.test("sleep 35792m waits on the longest timer setTimeout allows until it is cancelled", async () => {
  await using shell = new Shell();
  const spy = spyTimers();
  try {
    const stop = new AbortController();
    const sleeping = shell.execute("sleep 35792m", { signal: stop.signal });
    await until(() => spy.delays.includes(LONGEST_TIMER));
    stop.abort();
    await assert.rejects(sleeping, /^SockitError: sleep 35792m: cancelled$/);
  } finally {
    spy.restore();
  }
});

Deno.test("accept --timeout 40000m waits for the next peer instead of failing at once", async () => {
  await using shell = new Shell();
  const addr = await listening(shell);
  const spy = spyTimers();
  try {
    const accepting = shell.execute("accept srv --timeout 40000m");
    await until(() => spy.delays.includes(LONGEST_TIMER));
    using _client = await Deno.connect(addr);
    assert.equal(as(await accepting, "socket").info.name, "srv.1");
  } finally {
    spy.restore();
  }
});

Deno.test("--timeout none waits without a timer, for open, accept and recv, and Ctrl-C ends it", async () => {
  await using shell = new Shell();
  const addr = await listening(shell);
  const spy = spyTimers();
  try {
    await shell.execute(`open tcp a 127.0.0.1:${addr.port} --timeout none`);
    assert.equal(as(await shell.execute("accept srv --timeout none"), "socket").info.name, "srv.1");
    const accepting = shell.execute("accept srv --timeout none");
    using client = await Deno.connect(addr);
    assert.equal(as(await accepting, "socket").info.name, "srv.2");
    const line = shell.execute("recvline srv.2 --timeout none");
    await client.write(new TextEncoder().encode("hello\n"));
    assert.equal(text(await line), "hello\n");
    const stop = new AbortController();
    const reading = shell.execute("recv srv.2 --timeout none", { signal: stop.signal });
    stop.abort();
    await assert.rejects(reading, /Cannot recv from "srv.2": cancelled \(nothing buffered\)/);
    assert.deepEqual(spy.delays.filter((ms) => ms > 60_000), []);
  } finally {
    spy.restore();
  }
});

Deno.test("set timeout none makes every wait unlimited, and set shows it as none", async () => {
  await using shell = new Shell();
  await shell.execute("set timeout none");
  assert.equal(shell.settings.timeout, Infinity);
  const table = as(await shell.execute("set"), "table");
  assert.deepEqual(table.rows.find((r) => r[0] === "timeout"), ["timeout", "none"]);
});

Deno.test("durations beyond 365 days and bad ones are one-line errors, and the shell goes on", async () => {
  await using shell = new Shell();
  assert.equal(
    await failure(shell, "sleep 9000h"),
    'error: Cannot sleep: duration "9000h" is longer than the maximum, 365 days; ' +
      "a timeout that never ends is none",
  );
  await listening(shell);
  assert.match(
    await failure(shell, "accept srv --timeout 600000m"),
    /^error: Cannot accept --timeout: duration "600000m" is longer than the maximum, 365 days/,
  );
  assert.match(await failure(shell, "accept srv --timeout soon"), /bad duration "soon"/);
  assert.equal((await shell.execute("sleep 1ms")).kind, "none");
});
