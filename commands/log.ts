import { SockitError } from "../grammar/errors.ts";
import { formatFor, type LogFormat, Logger, parseLogFormat } from "../log/logger.ts";
import type { SocketRegistry } from "../sockets/registry.ts";
import type { Command } from "./types.ts";

/** Where the shell keeps its running log, in `services`. */
const KEY = "logger";

/** The log a shell writes now, if any. */
export function activeLog(services: Record<string, unknown>): Logger | undefined {
  return services[KEY] as Logger | undefined;
}

/**
 * Starts logging every socket of `registry` to `file` (`log start`, `--log`); the format is
 * `format`, else the file's extension (`.pcap`), else JSON Lines. Throws a one-line SockitError
 * when a log is already running or the file cannot be written.
 */
export async function startLog(
  target: { registry: SocketRegistry; services: Record<string, unknown> },
  file: string,
  format: LogFormat = formatFor(file),
): Promise<Logger> {
  const running = activeLog(target.services);
  if (running) {
    throw new SockitError(`Cannot log to "${file}": already logging to "${running.file}"`, {
      code: "exists",
      hint: "log stop first",
    });
  }
  const logger = await Logger.open(file, format);
  logger.attach(target.registry);
  target.services[KEY] = logger;
  return logger;
}

/** Stops the running log and finishes its file; resolves with the logger, if one ran. */
export async function stopLog(services: Record<string, unknown>): Promise<Logger | undefined> {
  const logger = activeLog(services);
  if (!logger) return undefined;
  delete services[KEY];
  await logger.close();
  return logger;
}

/** `log start FILE [--format jsonl|pcap]` / `log stop` / `log`: a session log or capture. */
export const log: Command = {
  name: "log",
  usage: "log start FILE [--format jsonl|pcap] | log stop | log",
  summary: "log every event and byte of every socket to a JSON Lines file or a pcap capture",
  details: "From `log start` on, every socket's events and bytes, both directions, with\n" +
    "timestamps, go to FILE (replaced if it exists): JSON Lines (one object per event, see\n" +
    "docs/log_format.md), or with --format pcap (or a FILE ending .pcap) a capture that\n" +
    "Wireshark and tshark open. `log` alone says what is being logged.\n" +
    "Examples:\n  log start session.jsonl\n  log start session.pcap\n  log stop",
  options: [{
    name: "format",
    type: "string",
    summary: "--format jsonl|pcap  the file's format (default: pcap for *.pcap, else jsonl)",
  }],
  args: ["none", "file"],
  maxArgs: 2,
  script: { unrecorded: true, writes: 1 },
  async run(ctx, args) {
    const [action, file] = args.positional.map((t) => t.text);
    if (action === undefined) {
      const running = activeLog(ctx.services);
      return {
        kind: "message",
        text: running ? `logging to ${running.file} (${running.format})` : "not logging",
      };
    }
    if (action === "start") {
      if (!file) {
        throw new SockitError("log start: missing FILE", {
          code: "usage",
          hint: "log start FILE [--format jsonl|pcap]",
        });
      }
      const format = typeof args.options.format === "string"
        ? parseLogFormat(args.options.format, `log to "${file}"`)
        : undefined;
      const logger = await startLog(ctx, file, format);
      return { kind: "message", text: `logging to ${file} (${logger.format})` };
    }
    if (action === "stop") {
      const logger = await stopLog(ctx.services);
      if (!logger) throw new SockitError("Cannot stop logging: not logging", { code: "usage" });
      return { kind: "message", text: `logged to ${logger.file}` };
    }
    throw new SockitError(`log: unknown action "${action}"`, {
      code: "usage",
      hint: "log start FILE [--format jsonl|pcap] | log stop",
    });
  },
};
