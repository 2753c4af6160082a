import assert from "node:assert/strict";
import { SockitError } from "./errors.ts";
import {
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
  parseTimeout,
  startTimer,
} from "./duration.ts";
import { recordTimers } from "../tests/_timers.ts";

Deno.test("durations read ms, s, m, h and bare seconds", () => {
  assert.deepEqual(
    ["250ms", "2", "1.5s", "3m", "2h"].map((t) => parseDuration(t, "sleep")),
    [250, 2000, 1500, 180_000, 7_200_000],
  );
});

Deno.test("a duration longer than 365 days is a one-line too-large error naming it", () => {
  assert.equal(parseDuration("525600m", "sleep"), MAX_DURATION_MS);
  assert.throws(
    () => parseDuration("525601m", "sleep"),
    (e: unknown) =>
      e instanceof SockitError && e.code === "too-large" &&
      e.message === 'Cannot sleep: duration "525601m" is longer than the maximum, 365 days',
  );
});

Deno.test("a bad duration is a usage error with a hint", () => {
  assert.throws(
    () => parseDuration("abc", "recv --timeout"),
    (e: unknown) =>
      e instanceof SockitError && e.code === "usage" &&
      e.message === 'Cannot recv --timeout: bad duration "abc"',
  );
});

Deno.test("a timeout of none is Infinity and shows as none", () => {
  assert.equal(parseTimeout("none", "accept --timeout"), Infinity);
  assert.equal(parseTimeout("2s", "accept --timeout"), 2000);
  assert.equal(formatDuration(Infinity), "none");
  assert.throws(() => parseDuration("none", "sleep"), /bad duration "none"/);
});

Deno.test("a timer longer than setTimeout can wait is chained, and fires only when due", () => {
  const realNow = Date.now;
  let now = 1_000_000;
  Date.now = () => now;
  try {
    let fired = false;
    const ms = 35792 * 60_000; // `sleep 35792m`: above 2^31-1 ms, which setTimeout wraps to 1 ms
    const first = recordTimers(() => startTimer(ms, () => fired = true));
    assert.deepEqual(first.map((t) => t.delay), [2 ** 31 - 1]);
    now += 2 ** 31 - 1;
    const second = recordTimers(() => first[0].fire());
    assert.equal(fired, false);
    assert.deepEqual(second.map((t) => t.delay), [ms - (2 ** 31 - 1)]);
    now += ms;
    second[0].fire();
    assert.equal(fired, true);
  } finally {
    Date.now = realNow;
  }
});

Deno.test("an Infinity timer starts nothing, and a short one is a single setTimeout", () => {
  assert.deepEqual(recordTimers(() => startTimer(Infinity, () => {})), []);
  assert.deepEqual(recordTimers(() => startTimer(-5, () => {})).map((t) => t.delay), [0]);
  assert.deepEqual(recordTimers(() => startTimer(500, () => {})).map((t) => t.delay), [500]);
});
