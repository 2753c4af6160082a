/**
 * The sockit command line's options and subcommands (commander): a thin layer over the library.
 * `main.ts` loads it for any invocation with arguments.
 *
 * @module
 */
import { Command } from "commander";
import process from "node:process";
import { OutputClosed, splitLines, stderrLine, stdoutLine } from "./shell/batch.ts";
import {
  EXIT_OUTPUT_CLOSED,
  exitCodeFor,
  onStopSignal,
  type StopSignal,
} from "./shell/exit_codes.ts";
import { parseInteger } from "./commands/args.ts";
import { plural } from "./grammar/plural.ts";
import { paletteFor } from "./shell/colors.ts";
import {
  batch,
  type GlobalOptions,
  interactive,
  interruptible,
  makeShell,
  stdinLines,
} from "./cli_shell.ts";
import { splitStatements } from "./grammar/tokenize.ts";
import { SockitError } from "./grammar/errors.ts";
import { VERSION } from "./version.ts";
import { parseDuration } from "./grammar/duration.ts";
import { runTests } from "./session/run.ts";
import { startMock } from "./session/mock.ts";
import { parseScript } from "./session/parse.ts";
import { startProxy } from "./session/proxy.ts";
import { serveForeground } from "./protocols/foreground.ts";

/** Builds the CLI program; `parseAsync` runs it and returns the exit code via `process.exitCode`. */
export function program(): Command {
  const cli = new Command("sockit")
    .description("An interactive, scriptable socket shell")
    .version(VERSION)
    .option("-c, --command <commands>", "run commands separated by ; or newlines, then exit")
    .option("--display <mode>", "how received bytes show: auto, text or hex")
    .option("--timeout <duration>", "default deadline for recv, expect, accept, open")
    .option("--events", "in batch mode, print socket events to stderr")
    .option("--record <file>", "record the session as a script that sockit test replays")
    .showSuggestionAfterError(true)
    .action(async (options: GlobalOptions) => {
      const shell = await makeShell(options);
      if (options.command !== undefined) {
        process.exitCode = await batch(
          shell,
          splitStatements(options.command),
          "-c",
          options.events,
        );
      } else if (Deno.stdin.isTerminal()) {
        process.exitCode = await interactive(shell);
      } else {
        process.exitCode = await batch(shell, stdinLines(), "stdin", options.events);
      }
    });

  cli.command("run")
    .description("run a file of shell commands, stopping at the first failure")
    .argument("<file>", "the file of commands")
    .action(async (file: string) => {
      let text: string;
      try {
        text = await Deno.readTextFile(file);
      } catch (error) {
        const why = error instanceof Deno.errors.NotFound ? "not found" : (error as Error).message;
        throw new SockitError(`Cannot run "${file}": ${why}`);
      }
      const shell = await makeShell(cli.opts());
      process.exitCode = await batch(shell, splitLines(text), file, cli.opts().events);
    });

  cli.command("test")
    .description("replay recorded scripts (files, folders, globs); exit 0 only when all pass")
    .argument("<paths...>", "scripts, or folders of *.sockit scripts")
    .option("--update", "rewrite the observations from a fresh run, keeping comments and patterns")
    .option("--timeout <duration>", "default deadline of every wait (default 5s)")
    .option("--strict", "fail a script that ends with received bytes nobody read")
    .action(async (
      paths: string[],
      options: { update?: boolean; timeout?: string; strict?: boolean },
    ) => {
      process.exitCode = await runTests(paths, {
        update: options.update,
        strict: options.strict,
        timeout: options.timeout ? parseDuration(options.timeout, "test --timeout") : undefined,
        palette: paletteFor(Deno.stdout.isTerminal()),
      });
    });

  cli.command("record")
    .description(
      "record through a proxy: listen, forward each connection to TARGET, write a script",
    )
    .option("--proxy", "sit between a real client and a real server (the only mode for now)")
    .argument("<listen>", "where clients connect, e.g. :7000 or 127.0.0.1:0")
    .argument("<target>", "the real server, HOST:PORT")
    .argument("<file>", "the script to write")
    .action(async (listen: string, target: string, file: string, options: { proxy?: boolean }) => {
      if (!options.proxy) {
        throw new SockitError("record: say --proxy", {
          hint: "sockit record --proxy LISTEN TARGET FILE; in the shell, use record start FILE",
        });
      }
      const proxy = await startProxy({ listen, target, file, onLog: stderrLine });
      const listening = `proxy listening on ${proxy.address} → ${target}, recording to ${file}`;
      const signal = announce(listening) ? await untilSignal() : undefined;
      await proxy.close();
      const n = proxy.connections;
      announce(`recorded ${plural(n, "connection")} to ${file}`);
      if (signal) process.exitCode = exitCodeFor(signal);
    });

  cli.command("mock")
    .description("serve the server side of a client recording to real clients")
    .argument("<file>", "the recorded script")
    .option("--listen <addr>", "where to listen (default 127.0.0.1:0, a free port)")
    .option("--timeout <duration>", "how long to wait for the client's next bytes (default 10s)")
    .action(async (file: string, _local: unknown, command: Command) => {
      // `--timeout` after `mock` lands in the global option of the same name.
      const options = command.optsWithGlobals<{ listen?: string; timeout?: string }>();
      const script = parseScript(await Deno.readTextFile(file), file);
      await using mock = startMock(script, {
        listen: options.listen,
        timeout: options.timeout ? parseDuration(options.timeout, "mock --timeout") : undefined,
        onDiagnostic: (m) => stderrLine(`mock: ${m}`),
        onLog: (m) => stderrLine(`mock: ${m}`),
      });
      await mock.ready;
      const on = mock.transport === "udp" ? "udp " : "";
      const listening = `mock listening on ${on}${mock.address}, serving ${file}`;
      if (announce(listening)) process.exitCode = exitCodeFor(await untilSignal());
    });

  cli.command("serve")
    .description(
      "run a built-in server (echo, ack, chat, discard, daytime) until Ctrl-C or SIGTERM",
    )
    .argument("<protocol>", "echo, ack, chat, discard or daytime")
    .argument("<transport>", "tcp, udp, unix or tls")
    .argument("<address>", "HOST:PORT (:PORT binds 127.0.0.1), or a path for unix")
    .option("--frame <frame>", "echo/ack per message: line, crlf, u16, u32, netstring")
    .option("--cert <file>", "TLS certificate chain (PEM)")
    .option("--key <file>", "TLS private key (PEM)")
    // The shell's serve parses these values: the same checks, the same one-line errors.
    .option(
      "--max-queue <bytes>",
      "chat: drop a client this many bytes behind",
      (v: string) => parseInteger(v, "serve --max-queue"),
    )
    .option(
      "--busy-poll <µs>",
      "echo tcp: keep polling this long after a message (default 50)",
      (v: string) => parseInteger(v, "serve --busy-poll"),
    )
    .option("--quiet", "log only the listening and stopped lines")
    .action(async (protocol: string, transport: string, address: string, options) => {
      using controller = interruptible();
      await serveForeground(protocol, transport, address, {
        ...options,
        // A closed stdout stops the server as a signal would, quietly.
        write: (line: string) => {
          if (!announce(line)) controller.abort("SIGPIPE");
        },
        signal: controller.signal,
      });
      const reason = controller.signal.reason;
      if (reason !== "SIGPIPE") process.exitCode = exitCodeFor(reason);
    });

  return cli;
}

/** Resolves with the signal's name on Ctrl-C or SIGTERM. */
function untilSignal(): Promise<StopSignal> {
  return new Promise((resolve) => {
    const remove = onStopSignal((signal) => {
      remove();
      resolve(signal);
    });
  });
}

/**
 * Writes a line to stdout; false (and exit code 141) once stdout's reader has gone, so the
 * subcommand can stop quietly.
 */
function announce(line: string): boolean {
  try {
    stdoutLine(line);
    return true;
  } catch (error) {
    if (!(error instanceof OutputClosed)) throw error;
    process.exitCode = EXIT_OUTPUT_CLOSED;
    return false;
  }
}
