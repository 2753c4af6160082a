/**
 * What `sockit connect` and `sockit listen` share: their options (the TLS ones come from
 * commands/_tls_options.ts, as `open tls` and `listen tls` take them), the `[KIND] ADDR` words,
 * the settings those become, and ncat's exit codes (0 success, 1 refused, reset, timeout or
 * other failure, 2 usage).
 *
 * @module
 */
import { type Command, type CommanderError, Option } from "commander";
import process from "node:process";
import { SockitError } from "../grammar/errors.ts";
import { parseDuration } from "../grammar/duration.ts";
import { paletteFor } from "../shell/colors.ts";
import { renderError } from "../shell/renderer.ts";
import { TLS_CLIENT_OPTIONS, TLS_SERVER_OPTIONS } from "../commands/_tls_options.ts";
import { transport } from "../sockets/transports.ts";
import { type EndpointOptions, PIPE_KINDS, type PipeKind } from "./_endpoints.ts";
import type { PipeOptions } from "./_pipe.ts";
import { TrafficLog } from "./_traffic_log.ts";
import { LOG_HELP } from "../log/run.ts";

/** The options as commander hands them over. */
export interface PipeFlags {
  sendOnly?: boolean;
  recvOnly?: boolean;
  shutdown?: boolean;
  idleTimeout?: string;
  crlf?: boolean;
  output?: string;
  hexDump?: string;
  verbose?: boolean;
  ca?: string;
  servername?: string;
  alpn?: string[];
  insecure?: boolean;
  cert?: string;
  key?: string;
  header?: string[];
  subprotocol?: string[];
  binary?: boolean;
}

/** Adds the options both pipes take, and exit code 2 for commander's own usage errors. */
export function pipeOptions(command: Command, tls: "client" | "server"): Command {
  command
    .option("--send-only", "only send standard input; ignore what arrives")
    .option("--recv-only", "only print what arrives; do not read standard input")
    .option("--no-shutdown", "at end of standard input, do not half-close the socket")
    .option("-i, --idle-timeout <duration>", "exit 1 after this long with nothing moving")
    .option("-C, --crlf", "send input line endings as \\r\\n (an existing \\r\\n stays)")
    .option("-o, --output <file>", "log both directions to FILE as quoted text")
    .option("-x, --hex-dump <file>", "log both directions to FILE as hexdumps")
    .option("-v, --verbose", "say on standard error when a connection opens and closes")
    .addHelpText("after", LOG_HELP);
  const specs = tls === "client"
    ? [...TLS_CLIENT_OPTIONS, ...TLS_SERVER_OPTIONS]
    : TLS_SERVER_OPTIONS;
  for (const spec of specs) {
    const [, value = "value", rest = spec.summary] =
      /^--\S+(?: ([A-Z]+))?\s+(.*)$/.exec(spec.summary) ?? [];
    const flags = spec.type === "flag"
      ? `--${spec.name}`
      : `--${spec.name} <${value.toLowerCase()}${spec.repeat ? "..." : ""}>`;
    command.addOption(new Option(flags, rest));
  }
  return command.exitOverride((error: CommanderError) => {
    process.exit(error.exitCode === 0 ? 0 : 2);
  });
}

/** `[KIND] ADDR`, or netcat's `HOST PORT`, as a kind and an address. */
export function kindAndAddress(words: string[], action: string): [PipeKind, string] {
  const kinds = new Map(PIPE_KINDS.map((k) => [k, k]));
  if (words.length === 1) return ["tcp", words[0]];
  if (words.length === 2 && /^\d+$/.test(words[1]) && !kinds.has(words[0] as PipeKind)) {
    const host = words[0].includes(":") ? `[${words[0]}]` : words[0];
    return ["tcp", `${host}:${words[1]}`];
  }
  if (words.length === 2) return [transport(kinds, words[0], action), words[1]];
  throw new SockitError(`Cannot ${action}: expected [KIND] ADDR, got ${words.length} words`, {
    code: "usage",
    hint: `KIND is ${PIPE_KINDS.join(", ")}; for example: sockit ${action} tcp 127.0.0.1:9000`,
  });
}

/** The pipe settings the flags ask for (opening the log files). */
export function pipeSettings(flags: PipeFlags, action: string): PipeOptions {
  if (flags.sendOnly && flags.recvOnly) {
    throw new SockitError(`Cannot ${action}: --send-only and --recv-only exclude each other`, {
      code: "usage",
    });
  }
  const idleTimeout = flags.idleTimeout === undefined
    ? undefined
    : parseDuration(flags.idleTimeout, `${action} --idle-timeout`);
  const log = flags.output !== undefined
    ? TrafficLog.open(flags.output, false)
    : flags.hexDump !== undefined
    ? TrafficLog.open(flags.hexDump, true)
    : undefined;
  return {
    sendOnly: flags.sendOnly,
    recvOnly: flags.recvOnly,
    noShutdown: flags.shutdown === false,
    idleTimeout,
    crlf: flags.crlf,
    log,
  };
}

/** The TLS settings among the flags. */
export function endpointSettings(flags: PipeFlags): EndpointOptions {
  return {
    ca: flags.ca,
    servername: flags.servername,
    alpn: flags.alpn,
    insecure: flags.insecure,
    cert: flags.cert,
    key: flags.key,
    header: flags.header,
    subprotocol: flags.subprotocol,
    binary: flags.binary,
  };
}

/** Runs a pipe subcommand's body: a failure is one line on stderr and exit 2 (usage) or 1. */
export async function exitCodeOf(body: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (error) {
    console.error(renderError(error, paletteFor(Deno.stderr.isTerminal())));
    process.exitCode = error instanceof SockitError && error.code === "usage" ? 2 : 1;
  }
}
