/**
 * Helpers the benchmarks share: server processes (sockit, a minimal Deno loop, the Python
 * tutorial servers, ncat) started with a raised `ulimit -n`, their peak memory, clients, a byte
 * sink, timing of whole commands and medians.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url).pathname;
const PYTHON = `${ROOT}tests/python/`;

/** A server running in its own process. */
export interface ServerProcess {
  name: string;
  port: number;
  pid: number;
  /** Peak resident memory so far (VmHWM), in MiB. */
  peakMiB(): number;
  /** CPU time used so far (user + system, all threads), in milliseconds. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Server commands by label; each prints a line with its port, or listens on `port`. */
export function serverCommand(kind: string, port = 0): string[] {
  const deno = [Deno.execPath(), "run", "-A", "--config", `${ROOT}deno.json`];
  switch (kind) {
    case "sockit-echo":
      return [...deno, `${ROOT}main.ts`, "serve", "echo", "tcp", `127.0.0.1:${port}`, "--quiet"];
    case "sockit-echo-no-poll": // the native loop, blocking at once in epoll_wait
      return [...serverCommand("sockit-echo", port), "--busy-poll", "0"];
    case "sockit-echo-deno": // without --allow-ffi: the Deno.listen server
      return [
        Deno.execPath(),
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-env",
        "--allow-sys",
        "--config",
        `${ROOT}deno.json`,
        ...serverCommand("sockit-echo", port).slice(5),
      ];
    case "sockit-chat":
      return [...deno, `${ROOT}main.ts`, "serve", "chat", "tcp", `127.0.0.1:${port}`, "--quiet"];
    case "deno-minimal-echo":
      return [...deno, `${ROOT}bench/_minimal_echo.ts`];
    case "python-echo":
      return ["python3", `${PYTHON}echo_server.py`, "127.0.0.1", String(port)];
    case "python-selectors":
      return ["python3", `${PYTHON}selectors_server.py`, "127.0.0.1", String(port)];
    case "ncat-chat":
      return ["ncat", "--chat", "-m", "10000", "-l", "127.0.0.1", String(port)];
  }
  throw new Error(`unknown server ${kind}`);
}

/** A free port (for servers that cannot report the one they chose). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts a server in its own process, under `ulimit -n 65536` when allowed. */
export async function startProcess(kind: string): Promise<ServerProcess> {
  const fixed = kind === "ncat-chat" ? freePort() : 0;
  const argv = serverCommand(kind, fixed).map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = new Deno.Command("bash", {
    args: ["-c", `ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); exec ${argv}`],
    stdout: "piped",
    stderr: "null",
    stdin: "piped", // kept open: ncat in listen mode stops at end of its stdin
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let port = fixed;
  let probe: Deno.Conn | undefined;
  if (!port) {
    let seen = "";
    while (!/:(\d+)\s*$/m.test(seen)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${kind} ended before saying its port`);
      seen += value;
    }
    port = Number(/:(\d+)\s*$/m.exec(seen)![1]);
  } else probe = await waitForPort(port);
  const drain = (async () => {
    while (!(await reader.read()).done) { /* keep the pipe empty */ }
  })();
  return {
    name: kind,
    port,
    pid: child.pid,
    peakMiB() {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
    },
    cpuMs() {
      // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks
      // (100 per second on Linux).
      const stat = Deno.readTextFileSync(`/proc/${child.pid}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    async stop() {
      try {
        probe?.close();
      } catch { /* closed */ }
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await child.status;
      clearTimeout(timer);
      await child.stdin.close().catch(() => {});
      await drain;
    },
  };
}

/**
 * Waits until the port accepts, and returns that first connection, kept open and drained:
 * ncat 7.93 quits ("getpeername … failed … QUITTING") when a client leaves before it has looked
 * at it, so a connect-and-close probe would kill it.
 */
async function waitForPort(port: number): Promise<Deno.Conn> {
  const until = Date.now() + 5000;
  while (true) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      (async () => {
        const buf = new Uint8Array(16 * 1024);
        while ((await conn.read(buf).catch(() => null)) !== null) { /* drain */ }
      })();
      return conn;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * Connects `n` clients, at most `parallel` connects in flight at once. A refused connect (a
 * full listen backlog, as with ncat's backlog of 10) or reset is retried after 10 ms, for up
 * to 60 s.
 */
/** Connects refused (and retried) so far, for the reports. */
export let refused = 0;

export async function connectMany(
  port: number,
  n: number,
  parallel = 500,
): Promise<Deno.TcpConn[]> {
  const conns: Deno.TcpConn[] = new Array(n);
  let next = 0;
  let made = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, async () => {
    while (next < n) {
      const i = next++;
      const until = Date.now() + 60_000;
      while (true) {
        try {
          conns[i] = await Deno.connect({ hostname: "127.0.0.1", port });
          made++;
          break;
        } catch (error) {
          const retry = error instanceof Deno.errors.ConnectionRefused ||
            error instanceof Deno.errors.ConnectionReset;
          if (!retry || Date.now() > until) {
            for (const c of conns) c?.close();
            throw new Error(`connect ${made + 1} of ${n} failed: ${(error as Error).message}`);
          }
          refused++;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      conns[i].setNoDelay(true);
    }
  }));
  return conns;
}

/** Writes every byte. */
export async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}

/** Runs `fn`, giving up after `ms` (the benchmarks are bounded in time). */
export function bounded<T>(fn: Promise<T>, ms: number, what: string): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => {
      console.log(`  ${what}: gave up after ${ms / 1000} s`);
      resolve("timeout");
    }, ms);
  });
  return Promise.race([fn, timeout]).finally(() => clearTimeout(timer));
}

/** `1234.5` → `1,234.5`. */
export function fmt(n: number, digits = 1): string {
  return n.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

/** Prints an aligned table. */
export function table(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) {
    console.log("  " + r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
  }
}

/**
 * Reads a connection and calls `onLine` with the first bytes (up to 3, as a string) of every
 * line, without decoding the rest: cheap enough for millions of lines. Stops when `onLine`
 * returns true or the connection ends.
 */
export async function scanLines(conn: Deno.Conn, onLine: (head: string) => boolean): Promise<void> {
  const buf = new Uint8Array(16 * 1024);
  let head = "";
  while (true) {
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch {
      return;
    }
    if (n === null) return;
    let pos = 0;
    while (pos < n) {
      const nl = buf.indexOf(0x0a, pos);
      const end: number = nl === -1 || nl > n ? n : nl;
      for (let i = pos; i < end && head.length < 3; i++) head += String.fromCharCode(buf[i]);
      if (end === n) break;
      if (onLine(head)) return;
      head = "";
      pos = end + 1;
    }
  }
}

/** `deno run … main.ts ARGS` as an argv, with the permissions the `sockit` task uses. */
export function sockitArgv(args: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "--config",
    `${ROOT}deno.json`,
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    `${ROOT}main.ts`,
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

/**
 * A TCP sink on 127.0.0.1:0 that reads and counts bytes; `next()` resolves at each EOF,
 * `accepted()` when the next connection arrives.
 */
export function sink() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done: Array<(n: number) => void> = [];
  const accepts: Array<() => void> = [];
  const loop = (async () => {
    for await (const conn of listener) {
      accepts.shift()?.();
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
    /** Resolves when the next connection is accepted. */
    accepted(): Promise<void> {
      return new Promise((r) => accepts.push(r));
    },
    async close() {
      listener.close();
      await loop;
    },
  };
}

/** Writes `mib` MiB to `path`: one random 64 KiB block over and over, in 1 MiB writes. */
export async function payloadFile(path: string, mib: number): Promise<void> {
  using f = await Deno.open(path, { write: true, create: true, truncate: true });
  const chunk = crypto.getRandomValues(new Uint8Array(64 * 1024));
  const block = new Uint8Array(1024 * 1024);
  for (let i = 0; i < block.length; i += chunk.length) block.set(chunk, i);
  for (let i = 0; i < mib; i++) await f.write(block);
}

/** The median of some numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
