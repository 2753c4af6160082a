/**
 * `--log FILE [--log-format F]` for the subcommands that are not a shell (`connect`, `listen`,
 * `relay`, `serve`, `record --proxy`, `mock`): {@link openRunLog} opens the run's log from the
 * global options, and {@link closeOnStop} finishes it on Ctrl-C or SIGTERM for a subcommand that
 * would otherwise just die of the signal.
 *
 * @module
 */
import { formatFor, Logger, parseLogFormat } from "./logger.ts";

/** The line the subcommands' help ends with. */
export const LOG_HELP = "\nLog every event and byte: --log FILE [--log-format jsonl|pcap] " +
  "(pcap for *.pcap; see docs/log_format.md)";

/** The global options that ask for a log. */
export interface RunLogOptions {
  log?: string;
  logFormat?: string;
}

/**
 * The log `options` ask for, opened (undefined without `--log`); a bad format or an unwritable
 * file is a one-line SockitError naming `action`.
 *
 * @example No log asked for
 * ```ts
 * import assert from "node:assert/strict";
 * import { openRunLog } from "./run.ts";
 * assert.equal(await openRunLog({}, "connect"), undefined);
 * ```
 */
export async function openRunLog(
  options: RunLogOptions,
  action: string,
): Promise<Logger | undefined> {
  if (options.log === undefined) return undefined;
  const format = options.logFormat === undefined
    ? formatFor(options.log)
    : parseLogFormat(options.logFormat, `${action} --log "${options.log}"`);
  return await Logger.open(options.log, format);
}

/**
 * Until the returned function is called: on Ctrl-C or SIGTERM, finish `logger` and exit 130 or
 * 143, as the signal would have without a log.
 *
 * @example Removing the handlers again
 * ```ts
 * import { Logger } from "./logger.ts";
 * import { closeOnStop } from "./run.ts";
 * const path = await Deno.makeTempFile();
 * const logger = await Logger.open(path);
 * const remove = closeOnStop(logger);
 * remove();
 * await logger.close();
 * await Deno.remove(path);
 * ```
 */
export function closeOnStop(
  logger: Logger | undefined,
  first?: () => Promise<void> | undefined,
): () => void {
  const removers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const stop = () =>
      void (async () => {
        try {
          await first?.();
        } catch { /* the signal still ends the run */ }
        await logger?.close();
      })().finally(() => Deno.exit(signal === "SIGINT" ? 130 : 143));
    Deno.addSignalListener(signal, stop);
    return () => Deno.removeSignalListener(signal, stop);
  });
  return () => removers.forEach((remove) => remove());
}
