/**
 * `sockit listen [tcp|tls|udp|unix] ADDR [-k] [--exec PROGRAM…]`: netcat's server for pipes.
 * It says where it listens on standard error, then joins one connection (with `-k`: every
 * connection in turn; UDP: every peer) to standard input and output as `sockit connect` does.
 * With `--exec`, each connection runs PROGRAM with its standard input and output joined to the
 * socket (the `exec` built-in server; it needs Deno's `--allow-run`).
 *
 * @module
 */
import { Command } from "commander";
import type { Logger } from "../log/logger.ts";
import { formatAddr } from "../sockets/address.ts";
import { SockitError } from "../grammar/errors.ts";
import { stderrLine } from "../shell/batch.ts";
import { startServer } from "../protocols/mod.ts";
import { logLine } from "../protocols/foreground.ts";
import { checkExec } from "../protocols/exec.ts";
import { bind, type PipeKind } from "./_endpoints.ts";
import { closeOnStop, openRunLog, type RunLogOptions } from "../log/run.ts";
import { loggedTransport } from "../log/transport.ts";
import { ChunkSource, pipe, type PipeOutcome } from "./_pipe.ts";
import {
  endpointSettings,
  exitCodeOf,
  kindAndAddress,
  type PipeFlags,
  pipeOptions,
  pipeSettings,
} from "./_pipe_options.ts";

type ListenFlags = PipeFlags & { keepOpen?: boolean; exec?: string[] };

/** The `listen` subcommand, for cli.ts to register. */
export function listenCommand(): Command {
  const command = new Command("listen")
    .description("netcat for pipes, listening: one connection (-k: each in turn) to stdin/stdout")
    .argument("<address...>", "[tcp|tls|udp|unix] ADDR (:PORT binds 127.0.0.1; 0: a free port)")
    .option("-k, --keep-open", "serve every connection in turn (UDP: every peer), not just one")
    .option("--exec <program...>", "run PROGRAM ARGS for each connection (needs --allow-run)");
  pipeOptions(command, "server");
  return command.action((words: string[], flags: ListenFlags, self: Command) =>
    exitCodeOf(async () => {
      const program = (flags.exec ?? []).filter((word, i) => i > 0 || word !== "--");
      // Words after the address (`listen :0 --exec -- sed -e s/a/b/`) belong to the program.
      const kindGiven = words.length > 1 && ["tcp", "tls", "udp", "unix"].includes(words[0]);
      const take = kindGiven ? 2 : 1;
      if (flags.exec && words.length > take) program.push(...words.splice(take));
      const [kind, address] = kindAndAddress(words, "listen");
      const logger = await openRunLog(self.optsWithGlobals<RunLogOptions>(), "listen");
      const stopLogging = logger && closeOnStop(logger);
      try {
        if (flags.exec) return await listenExec(kind, address, program, flags, logger);
        return await listenPipe(kind, address, flags, logger);
      } finally {
        stopLogging?.();
        await logger?.close();
      }
    })
  );
}

async function listenPipe(
  kind: PipeKind,
  address: string,
  flags: ListenFlags,
  logger?: Logger,
): Promise<number> {
  const settings = pipeSettings(flags, "listen");
  const listener = await bind(kind, address, {
    ...endpointSettings(flags),
    anyPeer: flags.keepOpen,
  });
  try {
    stderrLine(`listening on ${kind} ${formatAddr(listener.addr)}`);
    const source = new ChunkSource(Deno.stdin);
    let outcome: PipeOutcome = { code: 0 };
    for (let n = 1;; n++) {
      let conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (!flags.keepOpen) throw error;
        stderrLine(`error: listen: ${(error as Error).message}`);
        continue;
      }
      // The log names each connection by its number: #1, #2, …
      if (logger) conn = loggedTransport(logger, `#${n}`, conn, "accepted", kind === "tls");
      const remote = formatAddr(conn.remoteAddr);
      if (flags.verbose) stderrLine(`accepted ${remote}`);
      outcome = await pipe(conn, source, Deno.stdout, remote, settings);
      if (outcome.why) stderrLine(`error: listen: ${outcome.why}`);
      else if (flags.verbose) stderrLine(`closed ${remote}`);
      if (!flags.keepOpen || kind === "udp") break;
    }
    return outcome.code;
  } finally {
    listener.close();
    settings.log?.close();
  }
}

async function listenExec(
  kind: PipeKind,
  address: string,
  program: string[],
  flags: ListenFlags,
  logger?: Logger,
): Promise<number> {
  for (const [flag, set] of [["--send-only", flags.sendOnly], ["--recv-only", flags.recvOnly]]) {
    if (set) {
      throw new SockitError(`Cannot listen: ${flag} does not go with --exec`, { code: "usage" });
    }
  }
  checkExec(program, `listen on ${address} --exec`);
  let done!: () => void;
  const finished = new Promise<void>((resolve) => done = resolve);
  const server = await startServer("exec", kind, address, {
    ...endpointSettings(flags),
    program,
    crlf: flags.crlf,
    watch: logger &&
      ((conn, id) => void loggedTransport(logger, `#${id}`, conn, "accepted", kind === "tls")),
  }, (event) => {
    if (event.type === "notice" || event.type === "error" || flags.verbose) {
      stderrLine(logLine(event));
    }
    if (event.type === "closed" && !flags.keepOpen) done();
  }, "listen");
  stderrLine(`listening on ${kind} ${formatAddr(server.addr)}, running ${program.join(" ")}`);
  await finished;
  await server.close();
  return 0;
}
