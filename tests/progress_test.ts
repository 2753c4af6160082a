/**
 * The progress bar: its text (rate, ETA, fitting the width), when it draws (long transfers
 * only, ten times a second at most), and the reports the data path gives it for `send @file`
 * and `recv… --to FILE` over real sockets; batch mode clears it before any output and never
 * draws it with --json.
 */
// The named deepEqual/equal of node:assert/strict are the loose ones in Deno 2.9.
import {
  deepStrictEqual as assertEquals,
  ok as assert,
  strictEqual as equal,
} from "node:assert/strict";
import { formatEta, formatProgress, ProgressBar } from "../shell/progress.ts";
import { runBatch } from "../shell/batch.ts";
import { Shell } from "../shell/shell.ts";
import { as } from "./_helpers.ts";

const MiB = 1024 * 1024;

Deno.test("the bar shows bytes of the total, the percentage, the rate and the time left", () => {
  const line = formatProgress({
    label: "sending @big.bin",
    done: 64 * MiB,
    total: 256 * MiB,
    seconds: 2,
    columns: 100,
  });
  equal(line, "sending @big.bin  64.0 MiB / 256.0 MiB  25%  32.0 MiB/s  ETA 6s");
});

Deno.test("without a known total the bar shows bytes and rate, no percentage and no ETA", () => {
  const line = formatProgress({
    label: "receiving a → out.bin",
    done: 3 * MiB,
    total: 0,
    seconds: 2,
    columns: 100,
  });
  equal(line, "receiving a → out.bin  3.0 MiB  1.5 MiB/s");
});

Deno.test("small amounts and rates have a unit, and a transfer not yet timed has no rate", () => {
  equal(
    formatProgress({ label: "x", done: 512, total: 2048, seconds: 1, columns: 80 }),
    "x  512 B / 2.0 KiB  25%  512 B/s  ETA 3s",
  );
  equal(
    formatProgress({ label: "x", done: 0, total: 2048, seconds: 0, columns: 80 }),
    "x  0 B / 2.0 KiB  0%",
  );
});

Deno.test("the ETA is whole seconds, then minutes, then hours", () => {
  assertEquals([0.01, 59, 61, 3599, 3600, 7260].map(formatEta), [
    "1s",
    "59s",
    "1m01s",
    "59m59s",
    "1h00m",
    "2h01m",
  ]);
});

Deno.test("the bar always fits the terminal, dropping ETA, rate and percentage before the label is cut", () => {
  const view = {
    label: "sending @a-rather-long-file-name.bin",
    done: 5 * MiB,
    total: 50 * MiB,
    seconds: 1,
  };
  const full = formatProgress({ ...view, columns: 200 });
  equal(full, "sending @a-rather-long-file-name.bin  5.0 MiB / 50.0 MiB  10%  5.0 MiB/s  ETA 9s");
  for (let columns = 1; columns <= 200; columns++) {
    const line = formatProgress({ ...view, columns });
    assert(line.length < columns || (columns === 1 && line.length === 1), `${columns}: ${line}`);
  }
  // The optional parts go one by one, from the end.
  equal(formatProgress({ ...view, columns: full.length }), full.replace("  ETA 9s", ""));
  equal(
    formatProgress({ ...view, columns: full.length - 8 }),
    "sending @a-rather-long-file-name.bin  5.0 MiB / 50.0 MiB  10%",
  );
  equal(
    formatProgress({ ...view, columns: 40 }),
    "sending @a-rather-…  5.0 MiB / 50.0 MiB",
  );
});

/** A bar on a fake clock, writing into `screen`. */
function fakeBar(options: { minTotal?: number; minDuration?: number } = {}) {
  const state = { screen: "", now: 0 };
  const bar = new ProgressBar({
    write: (text) => state.screen += text,
    columns: () => 100,
    now: () => state.now,
    ...options,
  });
  return { state, bar };
}

Deno.test("a short transfer never shows; a long one shows once it has run a second", () => {
  const { state, bar } = fakeBar();
  bar.start();
  for (let t = 0; t < 1000; t += 100) {
    state.now = t;
    bar.report(t * 1000, 2 * MiB, "sending @small.bin");
  }
  equal(state.screen, "");
  state.now = 1000;
  bar.report(MiB, 2 * MiB, "sending @small.bin");
  equal(state.screen, "\r\x1b[Ksending @small.bin  1.0 MiB / 2.0 MiB  50%  1.0 MiB/s  ETA 1s");
});

Deno.test("a large transfer shows at once, redraws at most ten times a second, and clears", () => {
  const { state, bar } = fakeBar();
  bar.start();
  for (let t = 1; t <= 250; t += 1) { // 250 reports in 250 ms
    state.now = t;
    bar.report(t * MiB / 10, 64 * MiB, "sending @big.bin");
  }
  const draws = state.screen.split("\r\x1b[K").filter((s) => s !== "");
  equal(draws.length, 3); // at 1, 101 and 201 ms
  assert(bar.shown);
  bar.clear();
  assert(state.screen.endsWith("\r\x1b[K"));
  assert(!bar.shown);
  const before = state.screen;
  bar.clear(); // nothing shown: nothing to erase
  equal(state.screen, before);
});

Deno.test("the last report (all bytes done) draws nothing: the result line comes next", () => {
  const { state, bar } = fakeBar({ minTotal: 0 });
  bar.start();
  bar.report(MiB, MiB, "sending @x");
  equal(state.screen, "");
});

/** A loopback pair through the shell: `a` dialled, `srv.1` accepted. */
async function connected(shell: Shell): Promise<void> {
  const srv = as(await shell.execute("listen tcp srv 127.0.0.1:0"), "socket");
  await shell.execute(`open tcp a ${srv.info.local}`);
  await shell.execute("accept srv");
}

Deno.test("send @file reports each chunk as it goes, with the file's size and name", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/four.bin`;
  await Deno.writeFile(file, new Uint8Array(4 * MiB + 5));
  await using shell = new Shell();
  await connected(shell);
  const reports: [number, number, string?][] = [];
  const receiving = shell.execute(`recvexact srv.1 ${4 * MiB + 5} --to ${dir}/copy.bin`);
  await shell.execute(`send a @${file}`, { progress: (...r) => reports.push(r) });
  await receiving;
  assert(reports.length >= 4, JSON.stringify(reports));
  assertEquals(new Set(reports.map((r) => r[1])), new Set([4 * MiB + 5]));
  assertEquals(new Set(reports.map((r) => r[2])), new Set([`sending @${file}`]));
  const done = reports.map((r) => r[0]);
  assertEquals(done, [...done].sort((a, b) => a - b));
  equal(done.at(-1), 4 * MiB + 5);
  // A payload without a file reports nothing.
  const none: unknown[] = [];
  await shell.execute('send a "hello"', { progress: (...r) => none.push(r) });
  assertEquals(none, []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("recv… --to FILE reports the bytes written: of N for recvexact, of an unknown total for recvall", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/three.bin`;
  await Deno.writeFile(file, new Uint8Array(3 * MiB));
  await using shell = new Shell();
  await connected(shell);
  const sent = shell.execute(`send a @${file}`);
  const exact: [number, number, string?][] = [];
  await shell.execute(`recvexact srv.1 ${2 * MiB} --to ${dir}/exact.bin`, {
    progress: (...r) => exact.push(r),
  });
  equal(exact.at(-1)![0], 2 * MiB);
  assertEquals(
    new Set(exact.map((r) => [r[1], r[2]].join(" "))),
    new Set([
      `${2 * MiB} receiving srv.1 → ${dir}/exact.bin`,
    ]),
  );
  await sent;
  await shell.execute("close a");
  const all: [number, number, string?][] = [];
  await shell.execute(`recvall srv.1 --to ${dir}/rest.bin`, { progress: (...r) => all.push(r) });
  equal(all.at(-1)![0], MiB);
  assertEquals(new Set(all.map((r) => r[1])), new Set([0]));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("batch mode erases the bar before a result or an error, and never draws it with --json", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/eight.bin`;
  await Deno.writeFile(file, new Uint8Array(8 * MiB));
  for (const json of [false, true]) {
    await using shell = new Shell();
    await connected(shell);
    let stream = "";
    const bar = new ProgressBar({ write: (t) => stream += t, minTotal: 0, interval: 0 });
    const receiving = shell.execute(`recvexact srv.1 ${8 * MiB} --to ${dir}/copy.bin`);
    const code = await runBatch(shell, [`send a @${file}`, "sned"], {
      json,
      progress: bar,
      write: (t) => stream += `[out ${t}]`,
      writeError: (t) => stream += `[err ${t}]`,
    });
    await receiving;
    equal(code, 1);
    if (json) {
      assert(!stream.includes("sending"), stream);
      assert(!stream.includes("\r"), stream);
    } else {
      // Drawn during the send, erased before its result; nothing drawn is left before the error.
      const result = stream.indexOf("[out sent 8388608 bytes to a]");
      assert(stream.lastIndexOf("\r\x1b[Ksending @") < result, stream);
      assert(stream.slice(0, result).endsWith("\r\x1b[K"), stream.slice(result - 80, result + 40));
      assert(!stream.slice(result).includes("sending"), stream);
    }
  }
  await Deno.remove(dir, { recursive: true });
});
