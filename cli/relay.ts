/**
 * `sockit relay LISTEN TARGET [options]`: the command-line form of the shell's `relay`. Logs one
 * line per connection to stderr (`#1 accepted from 127.0.0.1:52210`, `#1 closed (up 6 bytes,
 * down 6 bytes)`) until Ctrl-C or SIGTERM, then closes every connection and exits 130 or 143.
 *
 * @module
 */
import type { Command } from "commander";
import process from "node:process";
import { parseDuration } from "../grammar/duration.ts";
import { formatAddr } from "../sockets/address.ts";
import { parseToxic } from "../sockets/toxics/parse.ts";
import { ToxicSet } from "../sockets/toxics/toxics.ts";
import {
  closedText,
  parseEndpoint,
  type RelayEvent,
  showEndpoint,
  startRelay,
} from "../sockets/relay.ts";
import { LOG_HELP, openRunLog, type RunLogOptions } from "../log/run.ts";
import { relayLogging } from "../log/relay.ts";
import type { Logger } from "../log/logger.ts";
import { SockitError } from "../grammar/errors.ts";

/** One log line for a relay event. */
export function relayLogLine(e: RelayEvent): string {
  const who = e.id === undefined ? "" : `#${e.id} `;
  switch (e.type) {
    case "accepted":
      return `${who}accepted from ${e.remote}`;
    case "closed":
      return `${who}closed (${closedText(e)})`;
    case "error":
      return `${who}error: ${e.message}`;
  }
}

/** Options of `sockit relay`, as commander gives them. */
interface RelayCliOptions {
  cert?: string;
  key?: string;
  handshakeTimeout?: string;
  ca?: string;
  servername?: string;
  alpn?: string[];
  insecure?: boolean;
  connectTimeout?: string;
  udpIdle?: string;
  force?: boolean;
  quiet?: boolean;
  toxic: string[];
}

const encoder = new TextEncoder();
const log = (line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n"));

/** Adds `sockit relay` to the program. */
export function addRelay(cli: Command): void {
  cli.command("relay")
    .description(
      "forward every connection on LISTEN to TARGET, both ways, until Ctrl-C or SIGTERM",
    )
    .argument("<listen>", "[tcp:|tls:|udp:|unix:]ADDR where clients connect (tcp by default)")
    .argument("<target>", "[tcp:|tls:|udp:|unix:]ADDR to forward each connection to")
    .option("--cert <file>", "tls LISTEN: certificate chain (PEM)")
    .option("--key <file>", "tls LISTEN: private key (PEM)")
    .option("--handshake-timeout <duration>", "tls LISTEN: close a client not done (10s)")
    .option("--ca <file>", "tls TARGET: also trust the CA certificates in FILE")
    .option("--servername <name>", "tls TARGET: verify the certificate for NAME, send it as SNI")
    .option("--alpn <proto...>", "tls TARGET: offer these ALPN protocols")
    .option("--insecure", "tls TARGET: do NOT verify the certificate")
    .option("--connect-timeout <duration>", "how long dialling TARGET may take (10s)")
    .option("--udp-idle <duration>", "udp: close a client's upstream after this idle (60s)")
    .option("--force", "unix LISTEN: replace a stale socket file nobody answers on")
    .option(
      "--toxic <toxic>",
      "a fault on purpose, e.g. 'latency 100ms' or 'slicer --size 1 --down' (repeatable; " +
        "see the shell's help toxic)",
      (value: string, list: string[]) => [...list, value],
      [] as string[],
    )
    .option("--quiet", "log only the listening and stopped lines")
    .addHelpText("after", LOG_HELP)
    .action(async (listen: string, target: string, options: RelayCliOptions, self: Command) => {
      const duration = (text: string | undefined, option: string) =>
        text === undefined ? undefined : parseDuration(text, `relay ${option}`);
      // Signals are caught before listening: a SIGTERM right after start still closes cleanly.
      let signal: "SIGINT" | "SIGTERM" | undefined;
      let wake = () => {};
      const stopped = new Promise<void>((resolve) => wake = resolve);
      const on = (name: "SIGINT" | "SIGTERM") => () => {
        signal ??= name;
        wake();
      };
      const onInt = on("SIGINT");
      const onTerm = on("SIGTERM");
      Deno.addSignalListener("SIGINT", onInt);
      Deno.addSignalListener("SIGTERM", onTerm);
      let logger: Logger | undefined;
      try {
        let toxics: ToxicSet | undefined;
        if (options.toxic.length > 0) {
          toxics = new ToxicSet();
          for (const t of options.toxic) {
            toxics.add(parseToxic(t, "relay --toxic"), "relay --toxic");
          }
        }
        logger = await openRunLog(self.optsWithGlobals<RunLogOptions>(), "relay");
        // --log: both sides of each connection, #N.client and #N.target (see log/relay.ts).
        const show = options.quiet ? () => {} : (e: RelayEvent) => log(relayLogLine(e));
        const kind = parseEndpoint(listen, "relay").kind;
        if (logger && kind === "udp") {
          throw new SockitError(`Cannot relay ${listen} --log: UDP relays are not logged yet`, {
            code: "usage",
            hint: "tcp, tls and unix relays are",
          });
        }
        const logging = logger && relayLogging(logger, {
          client: kind === "tls",
          target: parseEndpoint(target, "relay").kind === "tls",
        }, show);
        const relay = await startRelay("relay", listen, target, {
          ...logging?.options,
          cert: options.cert,
          key: options.key,
          handshakeTimeout: duration(options.handshakeTimeout, "--handshake-timeout"),
          ca: options.ca,
          servername: options.servername,
          alpn: options.alpn,
          insecure: options.insecure,
          connectTimeout: duration(options.connectTimeout, "--connect-timeout"),
          udpIdle: duration(options.udpIdle, "--udp-idle"),
          force: options.force,
          toxics,
        }, logging?.events ?? show);
        log(
          `relay listening on ${relay.listen.kind} ${formatAddr(relay.addr)} → ${
            showEndpoint(relay.target)
          }`,
        );
        if (options.insecure) log("WARNING --insecure: the target's certificate is NOT verified");
        for (const t of toxics?.list() ?? []) log(`toxic ${t.name}: ${t.text}`);
        await stopped;
        const { active } = relay.stats();
        log(`stopping: closing ${active} connection${active === 1 ? "" : "s"}`);
        await relay.close();
        log("stopped");
        process.exitCode = signal === "SIGINT" ? 130 : 143;
      } finally {
        Deno.removeSignalListener("SIGINT", onInt);
        Deno.removeSignalListener("SIGTERM", onTerm);
        await logger?.close();
      }
    });
}
