import { SockitError } from "../grammar/errors.ts";
import { CrlfTranslator } from "../grammar/crlf.ts";
import { writeAll } from "./_io.ts";
import type { Peer, ServerConn, StreamHandler } from "./server.ts";

/** What `serve exec` runs for each connection. */
export interface ExecOptions {
  /** The program and its arguments. */
  program: string[];
  /** `SOCKIT_PROTO`: tcp, tls or unix. */
  transport: string;
  /** Send the program's `\n` line endings as `\r\n` (an existing `\r\n` stays). */
  crlf?: boolean;
}

/**
 * Checks that `program` names something to run and that Deno may run it, before a server
 * listens: a one-line error says how to grant `--allow-run`.
 *
 * @example Exec needs a program
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkExec } from "./exec.ts";
 * assert.throws(() => checkExec([], 'serve "x"'), /needs a program/);
 * ```
 */
export function checkExec(program: string[] | undefined, action: string): void {
  if (!program || program.length === 0) {
    throw new SockitError(`Cannot ${action}: exec needs a program to run`, {
      code: "usage",
      hint: "for example: serve exec tcp up :0 -- tr a-z A-Z",
    });
  }
  const state = Deno.permissions.querySync({ name: "run", command: program[0] }).state;
  if (state !== "granted") {
    throw new SockitError(
      `Cannot ${action}: running "${program[0]}" needs Deno's run permission`,
      {
        code: "permission",
        hint: `start sockit with --allow-run (or --allow-run=${program[0]}); ` +
          "deno task sockit-exec grants it",
      },
    );
  }
}

function hostOf(addr: Deno.Addr): [string, string] {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return [addr.hostname, String(addr.port)];
  }
  return [(addr as Deno.UnixAddr).path ?? "", ""];
}

/**
 * ncat's `--exec`: for each connection, runs the program with its standard input and output
 * joined to the socket and `SOCKIT_REMOTE_ADDR`, `SOCKIT_REMOTE_PORT`, `SOCKIT_LOCAL_ADDR`,
 * `SOCKIT_LOCAL_PORT` and `SOCKIT_PROTO` set. The client's end of stream closes the program's
 * input; the program's exit closes the connection (after its last output is sent); each line it
 * writes to standard error is a notice for the log. When the server stops, running programs get
 * SIGTERM.
 *
 * @example Upper-casing a connection (needs --allow-run)
 * ```ts
 * import assert from "node:assert/strict";
 * import { startServer } from "./mod.ts";
 *
 * if (Deno.permissions.querySync({ name: "run" }).state === "granted") {
 *   await using server = await startServer("exec", "tcp", "127.0.0.1:0", {
 *     program: ["tr", "a-z", "A-Z"],
 *   });
 *   const { port } = server.addr as Deno.NetAddr;
 *   const conn = await Deno.connect({ hostname: "127.0.0.1", port });
 *   await conn.write(new TextEncoder().encode("hi\n"));
 *   await conn.closeWrite();
 *   const answer = await new Response(conn.readable).text();
 *   assert.equal(answer, "HI\n");
 * }
 * ```
 */
export function execStream(options: ExecOptions): StreamHandler {
  const [command, ...args] = options.program;
  const running = new Set<Deno.ChildProcess>();
  return {
    close() {
      for (const child of running) {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
      }
    },
    async serve(conn: ServerConn, peer: Peer) {
      const [remoteAddr, remotePort] = hostOf(conn.remoteAddr);
      const [localAddr, localPort] = hostOf(conn.localAddr);
      let child: Deno.ChildProcess;
      try {
        child = new Deno.Command(command, {
          args,
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
          env: {
            SOCKIT_REMOTE_ADDR: remoteAddr,
            SOCKIT_REMOTE_PORT: remotePort,
            SOCKIT_LOCAL_ADDR: localAddr,
            SOCKIT_LOCAL_PORT: localPort,
            SOCKIT_PROTO: options.transport,
          },
        }).spawn();
      } catch (error) {
        const why = error instanceof Deno.errors.NotFound
          ? "no such program"
          : (error as Error).message;
        throw new SockitError(`Cannot run "${command}": ${why}`, { code: "not-found" });
      }
      running.add(child);
      const toProgram = (async () => {
        const writer = child.stdin.getWriter();
        const buf = new Uint8Array(256 * 1024);
        try {
          while (true) {
            const n = await conn.read(buf);
            if (n === null) break;
            peer.bytesIn += n;
            await writer.write(buf.subarray(0, n));
          }
          await writer.close();
        } catch (error) {
          // The connection was reset: the program has nobody to talk to.
          if (error instanceof Deno.errors.ConnectionReset) child.kill("SIGTERM");
          await writer.abort().catch(() => {});
        }
      })().catch(() => {});
      const fromProgram = (async () => {
        const crlf = options.crlf ? new CrlfTranslator() : undefined;
        try {
          for await (const chunk of child.stdout) {
            const data = crlf ? crlf.push(chunk) : chunk;
            await writeAll(conn, data);
            peer.bytesOut += data.length;
          }
        } catch (error) {
          child.kill("SIGTERM"); // the client is gone: stop the program
          throw error;
        }
      })();
      const errors = (async () => {
        let rest = "";
        for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) {
          const lines = (rest + text).split("\n");
          rest = lines.pop()!;
          for (const line of lines) peer.notice(`stderr: ${line}`);
        }
        if (rest) peer.notice(`stderr: ${rest}`);
      })().catch(() => {});
      try {
        const status = await child.status;
        await Promise.all([fromProgram, errors]);
        if (!status.success) {
          peer.notice(`${command} exited with ${status.signal ?? `code ${status.code}`}`);
        }
      } finally {
        running.delete(child);
        void toProgram;
      }
    },
  };
}
