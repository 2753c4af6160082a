/**
 * `sockit connect [tcp|tls|udp|unix] ADDR [options]`: netcat's client for pipes. Standard input
 * goes to the socket and the socket to standard output, byte for byte; at end of input the
 * writing side is half-closed and output goes on until the peer closes (`nc -N`), then exit 0.
 * `sockit connect ws://…` (or `sockit ws URL`, the same command) pipes lines to WebSocket text
 * messages and messages to lines (`--binary`: raw); a close code other than 1000 exits 1.
 *
 * @module
 */
import { Command } from "commander";
import { formatAddr } from "../sockets/address.ts";
import { parseDuration, parseTimeout } from "../grammar/duration.ts";
import { parseInteger } from "../commands/args.ts";
import { stderrLine } from "../shell/batch.ts";
import { SockitError } from "../grammar/errors.ts";
import { dial, wsKindAndUrl } from "./_endpoints.ts";
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

/** The `connect` subcommand (or its twin `ws`, websocat's habit), for cli.ts to register. */
export function connectCommand(name: "connect" | "ws" = "connect"): Command {
  const command = new Command(name)
    .description(
      name === "ws"
        ? "sockit connect ws://…: stdin lines to WebSocket text messages, messages to stdout lines"
        : "netcat for pipes: stdin to a socket, the socket to stdout (exit 1: refused, " +
          "reset, timeout; 2: usage)",
    )
    .argument(
      "<address...>",
      "[tcp|tls|udp|unix] ADDR (HOST:PORT, [IPv6]:PORT or a unix path), or ws://… / wss://…",
    )
    .option("-w, --wait <duration>", "keep trying until the port accepts, up to this long")
    .option("--retry <n>", "tcp/tls: try N more times while refused or unreachable")
    .option("--retry-delay <duration>", "pause between tries (default 200ms)")
    .option("--proxy <url>", "tcp/tls: through socks5://, socks5h:// or http:// (CONNECT)")
    .option("--binary", "ws: each stdin chunk is one binary message, messages are written raw")
    .option("--header <K:V>", "ws: send this request header (repeatable)", collect, [])
    .option("--subprotocol <p>", "ws: offer this subprotocol (repeatable)", collect, []);
  pipeOptions(command, "client");
  return command.action((
    words: string[],
    flags: PipeFlags & { wait?: string; retry?: string; retryDelay?: string; proxy?: string },
    self: Command,
  ) =>
    exitCodeOf(async () => {
      const ws = wsKindAndUrl(words);
      if (name === "ws" && !ws) {
        const given = words.join(" ");
        throw new SockitError(
          `Cannot connect to "${given}": sockit ws takes a ws:// or wss:// URL`,
          {
            code: "usage",
            hint: `other transports: sockit connect ${given}`,
          },
        );
      }
      const [kind, address] = ws ?? kindAndAddress(words, "connect");
      const settings = pipeSettings(flags, "connect");
      const logger = await openRunLog(self.optsWithGlobals<RunLogOptions>(), "connect");
      // Ctrl-C or SIGTERM: a WebSocket says goodbye (1001), the log is finished, then the exit.
      let goAway: (() => Promise<void>) | undefined;
      const stopLogging = (logger || ws) && closeOnStop(logger, () => goAway?.());
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
        // A WebSocket (sockets/ws_pipe.ts, loaded only for ws:// and wss://) can say goodbye.
        const ws = dialled as { goAway?: () => Promise<void> };
        if (ws.goAway) goAway = () => ws.goAway!();
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

/** Collects a repeatable option's values. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
