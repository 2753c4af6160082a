/**
 * sockit's command line with a web Worker beside it in the same process, for
 * bench/log_overhead.ts: what a log writer's thread costs before it does any of a log's work.
 *
 * - `idle`: a Worker is created (as the Logger creates its own) and does nothing.
 * - `copy`: a Worker copies SOURCE to OUT in 1 MiB synchronous reads and writes, with no
 *   message per chunk: the least work any thread of the process can do to save the bytes. It
 *   starts once sockit's first connection is made (as `dd beside` starts at the sink's accept).
 *
 *   deno run -A bench/_sockit_beside.ts idle|copy SOURCE OUT -- SOCKIT_ARGS…
 *
 * The run ends when both the command and the Worker are done.
 *
 * @module
 */
/// <reference lib="deno.worker" />

if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  self.onmessage = ({ data }: MessageEvent<{ copy?: [string, string] }>) => {
    if (data.copy) {
      const [source, out] = data.copy;
      using from = Deno.openSync(source);
      using to = Deno.openSync(out, { write: true, create: true, truncate: true });
      const buf = new Uint8Array(1024 * 1024);
      for (let n; (n = from.readSync(buf)) !== null;) {
        for (let off = 0; off < n;) off += to.writeSync(buf.subarray(off, n));
      }
    }
    self.postMessage("done");
  };
} else {
  const [mode, source, out, dashes, ...args] = Deno.args;
  if (!["idle", "copy"].includes(mode) || dashes !== "--") {
    console.error("usage: _sockit_beside.ts idle|copy SOURCE OUT -- SOCKIT_ARGS…");
    Deno.exit(2);
  }
  const worker = new Worker(import.meta.url, { type: "module" });
  const done = new Promise((resolve) => worker.onmessage = resolve);
  if (mode === "idle") worker.postMessage({});
  else {
    const connect = Deno.connect;
    // Deno.connect's overloads, as one function the bench can wrap.
    const dial = connect as (options: Deno.ConnectOptions) => Promise<Deno.Conn>;
    Object.assign(Deno, {
      connect: async (options: Deno.ConnectOptions) => {
        const conn = await dial(options);
        Object.assign(Deno, { connect });
        worker.postMessage({ copy: [source, out] });
        return conn;
      },
    });
  }
  const { program } = await import("../cli.ts");
  await program().parseAsync(args, { from: "user" });
  await done;
  worker.terminate();
  Deno.exit(Number((await import("node:process")).default.exitCode ?? 0));
}
