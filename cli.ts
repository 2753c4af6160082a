/**
 * The sockit command line's options and subcommands (commander): a thin layer over the library.
 * `main.ts` loads it for any invocation with arguments.
 *
 * @module
 */
import { Command } from "commander";
import process from "node:process";
import { splitLines, stderrLine, stdoutLine } from "./shell/batch.ts";
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
import { SockitError, systemErrorCode, systemReason } from "./grammar/errors.ts";
import { VERSION } from "./version.ts";
import { nearest } from "./grammar/nearest.ts";
import { COMMANDS } from "./commands/mod.ts";
import { Shell } from "./shell/shell.ts";
import { parseDuration } from "./grammar/duration.ts";
import { runTests } from "./session/run.ts";
import { startMock } from "./session/mock.ts";
import { parseScript } from "./session/parse.ts";
import { startProxy } from "./session/proxy.ts";
import { serveForeground } from "./protocols/foreground.ts";
import { addRelay } from "./cli/relay.ts";

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
    .allowExcessArguments(true)
    .action(async (options: GlobalOptions, command: Command) => {
      if (command.args.length > 0) throw unknownSubcommand(cli, command.args[0]);
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

  cli.command("help")
    .description("show this help, a subcommand's, or a shell command's (sockit help send)")
    .argument("[command]", "a subcommand (serve, mock, …) or a shell command (send, recv, …)")
    .action(async (name?: string) => {
      if (name === undefined) return cli.outputHelp();
      const sub = cli.commands.find((c) => c.name() === name);
      if (sub) return sub.outputHelp();
      await using shell = new Shell();
      if (!shell.commands.has(name)) throw unknownSubcommand(cli, name);
      const result = await shell.execute(`help ${name}`);
      if (result.kind === "text") stdoutLine(result.text);
    });

  cli.command("run")
    .description("run a file of shell commands, stopping at the first failure")
    .argument("<file>", "the file of commands")
    .action(async (file: string) => {
      const text = await readInput(file, `run "${file}"`);
      const shell = await makeShell(cli.opts());
      process.exitCode = await batch(shell, splitLines(text), file, cli.opts().events);
    });

  cli.command("test")
    .description("replay recorded scripts (files, folders, globs); exit 0 only when all pass")
    .argument("<paths...>", "scripts, or folders of *.sockit scripts")
    .option("--update", "rewrite the observations from a fresh run, keeping comments and patterns")
    .option("--timeout <duration>", "default deadline of every wait (default 5s)")
    .option("--strict", "fail a script that ends with received bytes nobody read")
    .action(async (paths: string[], _local: unknown, command: Command) => {
      // `--timeout` after `test` lands in the global option of the same name: read both.
      const options = command.optsWithGlobals<
        { update?: boolean; timeout?: string; strict?: boolean }
      >();
      process.exitCode = await runTests(paths, {
        update: options.update,
        strict: options.strict,
        timeout: options.timeout === undefined
          ? undefined
          : parseDuration(options.timeout, "test --timeout"),
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
          code: "usage",
          hint: "sockit record --proxy LISTEN TARGET FILE; in the shell, use record start FILE",
        });
      }
      const proxy = await startProxy({ listen, target, file, onLog: stderrLine }).catch((e) => {
        throw failure(`Cannot record through a proxy on ${listen} to "${file}"`, e);
      });
      stdoutLine(`proxy listening on ${proxy.address} → ${target}, recording to ${file}`);
      await untilSignal();
      await proxy.close();
      stdoutLine(`recorded ${proxy.connections} connections to ${file}`);
    });

  cli.command("mock")
    .description("serve the server side of a client recording to real clients")
    .argument("<file>", "the recorded script")
    .option("--listen <addr>", "where to listen (default 127.0.0.1:0, a free port)")
    .option("--timeout <duration>", "how long to wait for the client's next bytes (default 10s)")
    .action(async (file: string, _local: unknown, command: Command) => {
      // `--timeout` after `mock` lands in the global option of the same name.
      const options = command.optsWithGlobals<{ listen?: string; timeout?: string }>();
      const script = parseScript(await readInput(file, `mock "${file}"`), file);
      const where = `Cannot mock "${file}" on ${options.listen ?? "127.0.0.1:0"}`;
      let started: Awaited<ReturnType<typeof startMock>>;
      try {
        started = await startMock(script, {
          listen: options.listen,
          timeout: options.timeout ? parseDuration(options.timeout, "mock --timeout") : undefined,
          onDiagnostic: (m) => stderrLine(`mock: ${m}`),
          onLog: (m) => stderrLine(`mock: ${m}`),
        });
      } catch (error) {
        throw failure(where, error);
      }
      await using mock = started;
      const on = mock.transport === "udp" ? "udp " : "";
      stdoutLine(`mock listening on ${on}${mock.address}, serving ${file}`);
      await untilSignal();
      await mock.close();
      // A client that deviated from the recording fails the run, as a failed replay does.
      stdoutLine(`mock: ${mock.summary()}`);
      process.exitCode = mock.deviated > 0 ? 1 : 0;
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
    .option("--force", "unix: replace a stale socket file nobody answers on (never other files)")
    .option("--max-queue <bytes>", "chat: drop a client this many bytes behind", Number)
    .option(
      "--busy-poll <µs>",
      "echo tcp: keep polling this long after a message (default 50)",
      Number,
    )
    .option("--quiet", "log only the listening and stopped lines")
    .action(async (protocol: string, transport: string, address: string, options) => {
      const controller = interruptible();
      await serveForeground(protocol, transport, address, {
        ...options,
        signal: controller.signal,
      });
    });

  addRelay(cli);
  return cli;
}

/** A file the CLI reads (a script, a recording), or a one-line error naming the action. */
async function readInput(file: string, action: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    throw failure(`Cannot ${action}`, error);
  }
}

/** A runtime error as a one-line SockitError after `what`; a SockitError stays as it is. */
function failure(what: string, error: unknown): SockitError {
  // The mock listens through the shell, whose error names its internal socket: say what the
  // user asked for instead.
  if (error instanceof SockitError && error.code === "address-in-use") {
    return new SockitError(`${what}: address already in use`, { code: error.code, cause: error });
  }
  if (error instanceof SockitError) return error;
  return new SockitError(`${what}: ${systemReason(error)}`, {
    code: systemErrorCode(error),
    cause: error,
  });
}

/**
 * The error for `sockit WORD` when WORD is no subcommand: a suggestion among the subcommands
 * (through the same nearest() and synonyms as the shell), or how to run it as a shell command.
 */
function unknownSubcommand(cli: Command, word: string): SockitError {
  const subcommands = cli.commands.map((c) => c.name());
  const shellCommands = COMMANDS.map((c) => c.name);
  const exact = shellCommands.includes(word) ? word : undefined;
  const guess = exact ?? nearest(word, [...subcommands, ...shellCommands]);
  const hint = guess === undefined
    ? `commands: ${subcommands.join(", ")}; sockit help lists them`
    : subcommands.includes(guess)
    ? `did you mean sockit ${guess}?`
    : `${exact ? "" : `did you mean ${guess}? `}${guess} is a shell command: ` +
      `sockit -c '${guess} …', or sockit help ${guess}`;
  return new SockitError(`Unknown command "${word}"`, { code: "unknown-command", hint });
}

/** Resolves on Ctrl-C or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
}
