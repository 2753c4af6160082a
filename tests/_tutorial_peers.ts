/** Peers nobody here wrote, run as subprocesses: the Python tutorial programs and ncat. */

const PYTHON_DIR = new URL("./python/", import.meta.url).pathname;

/** A running subprocess whose stdout is read line by line. */
export interface Process extends AsyncDisposable {
  child: Deno.ChildProcess;
  /** The next stdout line (without `\n`); throws if stdout ends first or 10 s pass. */
  nextLine(): Promise<string>;
  /** Reads stdout lines until one matches; returns it. */
  lineMatching(re: RegExp): Promise<string>;
  /** Writes to stdin. */
  write(text: string): Promise<void>;
  /** Closes stdin (the program sees end of input). */
  closeStdin(): Promise<void>;
  /** Everything printed so far and still unread, then the exit status once it ends. */
  finish(): Promise<{ code: number; rest: string }>;
}

/** Spawns `command args…` with piped stdin/stdout; the process is killed on dispose. */
export function spawn(command: string, args: string[]): Process {
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const writer = child.stdin.getWriter();
  let seen = "";
  let ended = false;
  let stdinOpen = true;
  const more = async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${command}: no output for 10 s: ${seen}`)),
        10_000,
      );
    });
    try {
      const { value, done } = await Promise.race([reader.read(), timeout]);
      if (done) ended = true;
      else seen += value;
    } finally {
      clearTimeout(timer);
    }
  };
  const nextLine = async () => {
    while (!seen.includes("\n")) {
      if (ended) throw new Error(`${command} ended before a full line: ${JSON.stringify(seen)}`);
      await more();
    }
    const i = seen.indexOf("\n");
    const line = seen.slice(0, i);
    seen = seen.slice(i + 1);
    return line;
  };
  const closeStdin = async () => {
    if (!stdinOpen) return;
    stdinOpen = false;
    await writer.close().catch(() => {});
  };
  return {
    child,
    nextLine,
    async lineMatching(re) {
      while (true) {
        const line = await nextLine();
        if (re.test(line)) return line;
      }
    },
    write: (text) => writer.write(new TextEncoder().encode(text)),
    closeStdin,
    async finish() {
      await closeStdin();
      while (!ended) await more();
      const status = await child.status;
      return { code: status.code, rest: seen };
    },
    async [Symbol.asyncDispose]() {
      await closeStdin();
      try {
        child.kill("SIGTERM");
      } catch { /* already exited */ }
      await child.status;
      while (!ended) await more().catch(() => (ended = true));
      reader.releaseLock();
    },
  };
}

/** Runs one of the Python programs in tests/python. */
export function python(script: string, args: (string | number)[]): Process {
  return spawn("python3", ["-u", `${PYTHON_DIR}${script}`, ...args.map(String)]);
}

/** Runs a Python program to the end; returns its stdout. */
export async function pythonOutput(script: string, args: (string | number)[]): Promise<string> {
  const out = await new Deno.Command("python3", {
    args: [`${PYTHON_DIR}${script}`, ...args.map(String)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!out.success) throw new Error(`${script} failed: ${decoder.decode(out.stderr)}`);
  return decoder.decode(out.stdout);
}

/** Starts a Python server that prints `listening on HOST:PORT`; returns it and its port. */
export async function pythonServer(script: string): Promise<{ server: Process; port: number }> {
  const server = python(script, ["127.0.0.1", 0]);
  const line = await server.nextLine();
  const m = /^listening on 127\.0\.0\.1:(\d+)$/.exec(line);
  if (!m) throw new Error(`${script}: unexpected first line ${line}`);
  return { server, port: Number(m[1]) };
}

/** Waits until something accepts connections on 127.0.0.1:port (for servers that do not say). */
export async function waitForPort(port: number, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (true) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/**
 * Waits until something listens on 127.0.0.1:`port`, without connecting: ncat --chat quits when a
 * probe connects and leaves before it has looked at it, so read the kernel's table instead.
 */
export async function waitForListening(port: number, ms = 5000): Promise<void> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const listening = new RegExp(`^\\s*\\d+: [0-9A-F]+:${hex} [0-9A-F]+:0000 0A `, "m");
  const until = Date.now() + ms;
  // Deno reads /proc only with --allow-all; `cat` needs no more than the suite's --allow-run.
  const table = async () =>
    new TextDecoder().decode(
      (await new Deno.Command("cat", { args: ["/proc/net/tcp"] }).output()).stdout,
    );
  while (!listening.test(await table())) {
    if (Date.now() > until) throw new Error(`nothing listens on port ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
