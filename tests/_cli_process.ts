/** The sockit CLI as a running child process the test can signal, for exit-code tests. */
import { SOCKIT_RUN } from "./_helpers.ts";

/** A running `sockit ARGS…` with piped stdio. */
export interface CliProcess extends AsyncDisposable {
  /** Resolves when stdout (or stderr) matches; fails after 10 s or at exit, showing what came. */
  waitFor(re: RegExp, stream?: "stdout" | "stderr"): Promise<RegExpExecArray>;
  /** Sends a signal. */
  kill(signal: Deno.Signal): void;
  /** Writes to stdin. */
  write(text: string): Promise<void>;
  /** Waits for the exit (killing it after 15 s); the code and everything printed. */
  exited(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Starts `sockit ARGS…` (main.ts) with NO_COLOR set; `stdout: "closed"` closes its stdout. */
export function startSockit(args: string[], options: { stdout?: "closed" } = {}): CliProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...SOCKIT_RUN, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let out = "";
  let err = "";
  let done = false;
  const collect = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
  };
  const stdout = options.stdout === "closed"
    ? child.stdout.cancel()
    : collect(child.stdout, (s) => out += s);
  const readers = Promise.all([stdout, collect(child.stderr, (s) => err += s)]);
  const writer = child.stdin.getWriter();
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  const exited = async () => {
    // Standard input stays open until the process has gone: closing it first would race a
    // signal under test with end of input (which ends a batch run with 0).
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const { code, signal } = await status.finally(() => clearTimeout(timer));
    await writer.close().catch(() => {});
    if (signal === "SIGKILL") {
      throw new Error(`sockit did not exit; stdout: ${out}; stderr: ${err}`);
    }
    await readers;
    return { code, stdout: out, stderr: err };
  };
  return {
    async waitFor(re, stream = "stdout") {
      const deadline = Date.now() + 10_000;
      while (true) {
        const m = re.exec(stream === "stdout" ? out : err);
        if (m) return m;
        if (done || Date.now() > deadline) {
          throw new Error(`sockit never printed ${re}; stdout: ${out}; stderr: ${err}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    kill: (signal) => child.kill(signal),
    write: (text) => writer.write(new TextEncoder().encode(text)),
    exited,
    async [Symbol.asyncDispose]() {
      if (!done) child.kill("SIGKILL");
      await exited().catch(() => {});
    },
  };
}
