/**
 * At the descriptor limit (EMFILE) the accept loops back off instead of spinning, say so once,
 * stay responsive, and accept again once descriptors come back. Each case runs a shell in a
 * child `deno` under `ulimit -n 64`.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { PERMISSIONS } from "./_helpers.ts";

const CHILD = new URL("./_fd_limit_child.ts", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

interface Report {
  result: { kind?: string; rows?: string[][]; error?: string; text?: string };
  errors: string[];
  failures?: number;
  note?: string;
}

/** The shell in a child process under `ulimit -n 64`, running `server`. */
async function limitedShell(server: string) {
  const deno = [Deno.execPath(), "run", "--quiet", "--config", CONFIG, ...PERMISSIONS, CHILD];
  const child = new Deno.Command("bash", {
    args: ["-c", `ulimit -n 64; exec "$@"`, "bash", ...deno, server],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const writer = child.stdin.getWriter();
  let seen = "";
  const nextLine = async () => {
    while (!seen.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`the child ended: ${seen}`);
      seen += value;
    }
    const i = seen.indexOf("\n");
    const line = seen.slice(0, i);
    seen = seen.slice(i + 1);
    return line;
  };
  const port = Number(await nextLine());
  return {
    port,
    /** Runs one shell line in the child and returns its report. */
    async run(line: string): Promise<Report> {
      await writer.write(new TextEncoder().encode(line + "\n"));
      return JSON.parse(await nextLine());
    },
    async [Symbol.asyncDispose]() {
      await writer.close().catch(() => {});
      lines.releaseLock();
      await child.stdout.cancel().catch(() => {});
      await child.status;
    },
  };
}

/** Polls the child with `line` (bounded) until `ok` holds for its report. */
async function until(
  shell: { run(line: string): Promise<Report> },
  line: string,
  ok: (r: Report) => boolean,
  what: string,
): Promise<Report> {
  const deadline = Date.now() + 10_000;
  while (true) {
    const r = await shell.run(line);
    if (ok(r)) return r;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(r)}`);
    }
  }
}

const CLIENTS = 100;

for (const server of ["listen tcp srv :0", "serve discard tcp srv :0"]) {
  Deno.test(`${server} at the descriptor limit says so once, stays responsive and recovers`, async () => {
    await using shell = await limitedShell(server);
    const clients = await Promise.all(
      Array.from(
        { length: CLIENTS },
        () => Deno.connect({ hostname: "127.0.0.1", port: shell.port }),
      ),
    );
    // The child runs out of descriptors before it has accepted them all.
    const hit = await until(shell, "ls srv", (r) => r.errors.length > 0, "the EMFILE report");
    assertMatch(hit.errors[0], /^srv: cannot accept: Too many open files .*accepting paused/);
    // Still answering while paused, and not spinning: each `ls` here is one more round trip,
    // and the failed accepts stay few (a spinning loop makes hundreds of thousands).
    for (let i = 0; i < 20; i++) assertEquals((await shell.run("ls srv")).result.kind, "table");
    const paused = await shell.run("ls srv");
    assertEquals(paused.errors.length, 1, paused.errors.join("\n"));
    if (paused.failures !== undefined) {
      assert(paused.failures < 100, `${paused.failures} failed accepts`);
    }
    // Descriptors come back as clients leave; every waiting connection is accepted after all.
    for (const c of clients) c.close();
    const done = await until(
      shell,
      "ls srv",
      // A listener counts children waiting for accept; a server counts its connections.
      (r) => /\b100 (waiting|total)\b/.test(r.result.rows?.[0].slice(-2).join(" ") ?? ""),
      `all ${CLIENTS} accepted`,
    );
    assert(done.errors.length <= 2, done.errors.join("\n"));
    // A new connection is served as usual.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: shell.port });
    await conn.write(new TextEncoder().encode("after the limit\n"));
    if (server.startsWith("listen")) {
      const r = await shell.run(`recvline srv.${CLIENTS + 1}`);
      assertEquals(r.result.kind, "data", JSON.stringify(r.result));
    }
    conn.close();
  });
}
