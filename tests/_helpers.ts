/** Test helpers: real peers on loopback, and the CLI run as a subprocess. */

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/** The permission flags the `sockit` task uses (no `--allow-ffi`: the native loop is opt-in). */
export const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
];

/**
 * `deno` arguments that run sockit (main.ts) as the `sockit` task does. `--quiet` keeps Deno's
 * own messages (a first run's "Download npm:…" lines) out of what the tests compare, so the
 * suite passes the same on a fresh Deno cache as on a warm one.
 */
export const SOCKIT_RUN = ["run", "--quiet", "--config", CONFIG, ...PERMISSIONS, MAIN];

/** {@link SOCKIT_RUN} as the `sockit-native` task runs it: with `--allow-ffi`. */
export const SOCKIT_NATIVE_RUN = [
  "run",
  "--quiet",
  "--config",
  CONFIG,
  "--allow-ffi",
  ...PERMISSIONS,
  MAIN,
];

/** What a CLI run printed and how it ended. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sockit ARGS` (main.ts) with optional stdin, with NO_COLOR set. */
export async function sockit(args: string[], stdin?: string): Promise<CliRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...SOCKIT_RUN, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** A tutorial-style echo peer on 127.0.0.1:0: returns every byte it gets. */
export function echoPeer(): Deno.TcpListener & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const loop = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const task = (async () => {
        const buf = new Uint8Array(16 * 1024);
        try {
          while (true) {
            const n = await conn.read(buf);
            if (n === null) break;
            let off = 0;
            while (off < n) off += await conn.write(buf.subarray(off, n));
          }
        } catch {
          /* peer reset */
        } finally {
          conns.delete(conn);
          try {
            conn.close();
          } catch { /* closed */ }
        }
      })();
      tasks.add(task);
      task.then(() => tasks.delete(task));
    }
  })().catch(() => {});
  return Object.assign(listener, {
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await loop;
      await Promise.all(tasks);
    },
  });
}

/** A free TCP port on 127.0.0.1 that nothing listens on (refuses connections). */
export function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

import type { Result } from "../commands/result.ts";

/** The result narrowed to one kind, or a failed test naming what came instead. */
export function as<K extends Result["kind"]>(r: Result, kind: K): Extract<Result, { kind: K }> {
  if (r.kind !== kind) throw new Error(`expected a ${kind} result, got ${JSON.stringify(r)}`);
  return r as Extract<Result, { kind: K }>;
}

/**
 * Waits until `check` returns something truthy and returns it, polling every few ms for up to
 * `ms` (default 5 s), then fails naming `what`. For state that changes without an event to wait
 * on (counters another thread updates, a process's output); never a fixed sleep.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  what: string,
  ms = 5000,
): Promise<Exclude<T, false | 0 | "" | null | undefined>> {
  const until = Date.now() + ms;
  while (true) {
    const value = await check();
    if (value) return value as Exclude<T, false | 0 | "" | null | undefined>;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
