/** Shared benchmark helpers: a byte sink, timing, and the CLI command line. */

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

/** `deno run … main.ts ARGS` as an argv, with the permissions the `sockit` task uses. */
export function sockitArgv(args: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "--config",
    CONFIG,
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    MAIN,
    ...args,
  ];
}

/** Runs a command to completion; throws with its stderr when it fails. Returns seconds taken. */
export async function timed(argv: string[]): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const seconds = (performance.now() - start) / 1000;
  if (!out.success) {
    throw new Error(`${argv.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return seconds;
}

/** A TCP sink on 127.0.0.1:0 that reads and counts bytes; `next()` resolves at each EOF. */
export function sink() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done: Array<(n: number) => void> = [];
  const loop = (async () => {
    for await (const conn of listener) {
      const buf = new Uint8Array(1024 * 1024);
      let total = 0;
      try {
        while (true) {
          const n = await conn.read(buf);
          if (n === null) break;
          total += n;
        }
      } finally {
        conn.close();
      }
      done.shift()?.(total);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    /** Resolves with the byte count of the next connection to end. */
    next(): Promise<number> {
      return new Promise((r) => done.push(r));
    },
    async close() {
      listener.close();
      await loop;
    },
  };
}

/** The median of some numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
