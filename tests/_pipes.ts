/** Helpers for the pipe tests: sockit run as a long-lived subprocess with binary stdio. */
import { SOCKIT_RUN } from "./_helpers.ts";

/** `SOCKIT_RUN` with Deno's run permission added (for `--exec` and `serve exec`). */
export const SOCKIT_RUN_EXEC = [...SOCKIT_RUN.slice(0, -1), "--allow-run", SOCKIT_RUN.at(-1)!];

/** A running `sockit …` with piped stdin, stdout collected as bytes and stderr as text. */
export interface SockitProcess extends AsyncDisposable {
  /** Writes bytes (or text) to its standard input. */
  write(data: Uint8Array | string): Promise<void>;
  /** Closes its standard input. */
  endInput(): Promise<void>;
  /** The port of its `listening on KIND HOST:PORT` line on stderr. */
  port(): Promise<number>;
  /** Everything it wrote to stdout so far. */
  stdout(): Uint8Array;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Its exit code, once it exits (stdout and stderr read to the end). */
  exited(): Promise<number>;
}

/** Starts `sockit ARGS…` (with `--allow-run` when `exec`). */
export function spawnSockit(args: string[], options: { exec?: boolean } = {}): SockitProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...(options.exec ? SOCKIT_RUN_EXEC : SOCKIT_RUN), ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const out: Uint8Array[] = [];
  let err = "";
  let wake: (() => void) | undefined;
  const readers = Promise.all([
    (async () => {
      for await (const chunk of child.stdout) out.push(chunk);
    })(),
    (async () => {
      for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) {
        err += text;
        wake?.();
      }
      wake?.();
    })(),
  ]);
  const writer = child.stdin.getWriter();
  let open = true;
  let ended = false;
  const status = child.status.then((s) => {
    ended = true;
    return s;
  });
  const endInput = async () => {
    if (!open) return;
    open = false;
    await writer.close().catch(() => {});
  };
  return {
    write: (data) => writer.write(typeof data === "string" ? new TextEncoder().encode(data) : data),
    endInput,
    async port() {
      while (true) {
        const m = /listening on \S+ \S*:(\d+)/.exec(err);
        if (m) return Number(m[1]);
        if (ended) throw new Error(`sockit ended before listening: ${err}`);
        await new Promise<void>((resolve) => wake = resolve);
      }
    },
    stdout() {
      const all = new Uint8Array(out.reduce((n, c) => n + c.length, 0));
      let off = 0;
      for (const c of out) {
        all.set(c, off);
        off += c.length;
      }
      return all;
    },
    stderr: () => err,
    async exited() {
      const { code } = await status;
      await readers;
      return code;
    },
    async [Symbol.asyncDispose]() {
      await endInput();
      if (!ended) {
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
      }
      await status;
      await readers;
    },
  };
}

/** The sha256 of some bytes, as hex. */
export async function sha256(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Random bytes (every byte value occurs), `n` long. */
export function randomBytes(n: number): Uint8Array {
  const data = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(data.subarray(off, off + 65536));
  return data;
}

/** Runs a program to its end with `input` on stdin; returns its exit code and stdout bytes. */
export async function runPeer(
  program: string,
  args: string[],
  input?: Uint8Array,
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const child = new Deno.Command(program, {
    args,
    stdin: input ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input) {
    const w = child.stdin.getWriter();
    await w.write(input);
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

/**
 * socat listening on a free loopback port (`-d -d` makes it say which), running `socat ARGS`
 * with the listening address first. Resolves with its port and a promise of its end.
 */
export async function socatListening(
  listen: string,
  other: string,
): Promise<{ port: number; done: Promise<{ code: number; stdout: Uint8Array }> }> {
  const child = new Deno.Command("socat", {
    args: ["-d", "-d", "-u", listen, other],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errors = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let port: number | undefined;
  while (port === undefined) {
    const { value, done } = await errors.read();
    if (done) throw new Error(`socat ended before listening: ${seen}`);
    seen += value;
    const m = /listening on \S+ [\d.]+:(\d+)/.exec(seen);
    if (m) port = Number(m[1]);
  }
  const done = (async () => {
    while (!(await errors.read()).done) { /* drain */ }
    const chunks: Uint8Array[] = [];
    for await (const c of child.stdout) chunks.push(c);
    const { code } = await child.status;
    const stdout = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let off = 0;
    for (const c of chunks) {
      stdout.set(c, off);
      off += c.length;
    }
    return { code, stdout };
  })();
  return { port, done };
}
