/**
 * `sockit connect [tcp|tls|udp|unix] ADDR [options]`: netcat's client for pipes. Standard input
 * goes to the socket and the socket to standard output, byte for byte; at end of input the
 * writing side is half-closed and output goes on until the peer closes (`nc -N`), then exit 0.
 *
 * @module
 */
import { Command } from "commander";
import { formatAddr } from "../sockets/address.ts";
import { parseDuration, parseTimeout } from "../grammar/duration.ts";
import { parseInteger } from "../commands/args.ts";
import { stderrLine } from "../shell/batch.ts";
import { dial } from "./_endpoints.ts";
import { closeOnStop, openRunLog, type RunLogOptions } from "../log/run.ts";
import { loggedTransport } from "../log/transport.ts";
import { ChunkSource, pipe } from "./_pipe.ts";
import {
  endpointSettings,
  exitCodeOf,
  kindAndAddress,
  type PipeFlags,
  pipeOptions,
  pipeSettings,
} from "./_pipe_options.ts";

/** The `connect` subcommand, for cli.ts to register. */
export function connectCommand(): Command {
  const command = new Command("connect")
    .description(
      "netcat for pipes: stdin to a socket, the socket to stdout (exit 1: refused, " +
        "reset, timeout; 2: usage)",
    )
    .argument("<address...>", "[tcp|tls|udp|unix] ADDR (HOST:PORT, [IPv6]:PORT or a unix path)")
    .option("-w, --wait <duration>", "keep trying until the port accepts, up to this long")
    .option("--retry <n>", "tcp/tls: try N more times while refused or unreachable")
    .option("--retry-delay <duration>", "pause between tries (default 200ms)")
    .option("--proxy <url>", "tcp/tls: through socks5://, socks5h:// or http:// (CONNECT)");
  pipeOptions(command, "client");
  return command.action((
    words: string[],
    flags: PipeFlags & { wait?: string; retry?: string; retryDelay?: string; proxy?: string },
    self: Command,
  ) =>
    exitCodeOf(async () => {
      const [kind, address] = kindAndAddress(words, "connect");
      const settings = pipeSettings(flags, "connect");
      const logger = await openRunLog(self.optsWithGlobals<RunLogOptions>(), "connect");
      const stopLogging = logger && closeOnStop(logger);
      // The shell's `open` options, read the same way (one dial: sockets/tcp.ts dialStream).
      const wait = flags.wait === undefined
        ? undefined
        : parseTimeout(flags.wait, "connect --wait");
      const retry = flags.retry === undefined
        ? undefined
        : parseInteger(flags.retry, "connect --retry");
      const retryDelay = flags.retryDelay === undefined
        ? undefined
        : parseDuration(flags.retryDelay, "connect --retry-delay");
      const { proxy } = flags;
      try {
        const dialled = await dial(kind, address, {
          ...endpointSettings(flags),
          ...(wait !== undefined && wait !== Infinity ? { timeout: wait } : {}),
          wait,
          retry,
          retryDelay,
          proxy,
        });
        // The log names the connection `conn`.
        const conn = logger
          ? loggedTransport(logger, "conn", dialled, "client", kind === "tls")
          : dialled;
        const remote = formatAddr(conn.remoteAddr);
        if (flags.verbose) stderrLine(`connected to ${kind} ${remote}`);
        const outcome = await pipe(
          conn,
          new ChunkSource(Deno.stdin),
          Deno.stdout,
          remote,
          settings,
        );
        if (outcome.why) stderrLine(`error: connect: ${outcome.why}`);
        else if (flags.verbose) stderrLine(`closed ${remote}`);
        return outcome.code;
      } finally {
        settings.log?.close();
        stopLogging?.();
        await logger?.close();
      }
    })
  );
}
