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
import { connectCommand } from "./cli/connect.ts";
import { listenCommand } from "./cli/listen.ts";
import { addRelay } from "./cli/relay.ts";
import { addDiagram } from "./cli/diagram.ts";
import { addCompletions } from "./cli/completions.ts";
import { parseToxic, parseToxicList } from "./sockets/toxics/parse.ts";
import { LOG_HELP, openRunLog } from "./log/run.ts";
import { loggedDatagrams, loggedTransport } from "./log/transport.ts";

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
    .option("--log <file>", "log every socket's events and bytes (JSON Lines, or pcap for *.pcap)")
    .option("--log-format <format>", "the --log file's format: jsonl or pcap")
    .option("--timestamps [mode]", "prefix events and received data with the time: on, relative")
    .option("--json", "batch: each result as a JSON line on stdout, errors/events on stderr")
    .showSuggestionAfterError(true)
    .allowExcessArguments(true)
    .action(async (options: GlobalOptions, command: Command) => {
      if (command.args.length > 0) throw unknownSubcommand(cli, command.args[0]);
      if (options.json && options.command === undefined && Deno.stdin.isTerminal()) {
        throw new SockitError("--json is for programs, not the interactive shell", {
          code: "usage",
          hint: "pipe commands on stdin, or use -c or sockit run FILE",
        });
      }
      const shell = await makeShell(options);
      if (options.command !== undefined) {
        process.exitCode = await batch(shell, splitStatements(options.command), "-c", options);
      } else if (Deno.stdin.isTerminal()) {
        process.exitCode = await interactive(shell);
      } else {
        process.exitCode = await batch(shell, stdinLines(), "stdin", options);
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
      process.exitCode = await batch(shell, splitLines(text), file, cli.opts());
    });

  cli.command("test")
    .description("replay recorded scripts (files, folders, globs); exit 0 only when all pass")
    .argument("<paths...>", "scripts, or folders of *.sockit scripts")
    .option("--update", "rewrite the observations from a fresh run, keeping comments and patterns")
    .option("--timeout <duration>", "default deadline of every wait (default 5s)")
    .option("--strict", "fail a script that ends with received bytes nobody read")
    .option("--chunk <bytes>", "deliver received bytes in reads of at most this many bytes")
    .option("--delay <duration>", "delay each delivered chunk (or datagram) by this long")
    .option(
      "--through <toxics>",
      "send every tcp open through a relay with these toxics, e.g. 'latency 50ms; slicer --size 1'",
    )
    .option("--allow-read <dir>", "let scripts read files under DIR too (repeatable)", collect, [])
    .option(
      "--allow-write <dir>",
      "let scripts write files under DIR too (repeatable)",
      collect,
      [],
    )
    .option("--allow-net <host>", "let scripts reach HOST besides loopback; * for any", collect, [])
    .action(async (paths: string[], _local: unknown, command: Command) => {
      // `--timeout` after `test` lands in the global option of the same name: read both.
      const options = command.optsWithGlobals<{
        update?: boolean;
        timeout?: string;
        strict?: boolean;
        chunk?: string;
        delay?: string;
        through?: string;
        allowRead: string[];
        allowWrite: string[];
        allowNet: string[];
      }>();
      const chunk = options.chunk === undefined ? undefined : Number(options.chunk);
      if (chunk !== undefined && !(Number.isInteger(chunk) && chunk > 0)) {
        throw new SockitError(
          `test --chunk: expected a positive number of bytes, got "${options.chunk}"`,
          { code: "usage" },
        );
      }
      const through = options.through;
      if (through !== undefined) parseToxicList(through, "test --through"); // fail before any run
      // A replay runs no programs and no native code: drop those permissions for good.
      for (const name of ["run", "ffi"] as const) Deno.permissions.revokeSync({ name });
      process.exitCode = await runTests(paths, {
        update: options.update,
        strict: options.strict,
        chunk,
        delay: options.delay === undefined
          ? undefined
          : parseDuration(options.delay, "test --delay"),
        allowRead: options.allowRead,
        allowWrite: options.allowWrite,
        allowNet: options.allowNet,
        through,
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
    .option("--toxic <toxic>", "pass every connection through a toxic (repeatable)", collect, [])
    .addHelpText("after", LOG_HELP)
    .action(async (
      listen: string,
      target: string,
      file: string,
      options: { proxy?: boolean; toxic: string[] },
    ) => {
      if (!options.proxy) {
        throw new SockitError("record: say --proxy", {
          code: "usage",
          hint: "sockit record --proxy LISTEN TARGET FILE; in the shell, use record start FILE",
        });
      }
      const toxics = options.toxic;
      for (const t of toxics) parseToxic(t, "record --toxic"); // fail before listening
      await using logger = await openRunLog(cli.opts(), "record");
      // --log: both sides of connection N, #N.client and #N.target (as sockit relay names them).
      const watch = logger && ((n: number, client: Deno.Conn, server: Deno.Conn) => {
        loggedTransport(logger, `#${n}.client`, client, "accepted");
        loggedTransport(logger, `#${n}.target`, server, "client");
      });
      const proxy = await startProxy({ listen, target, file, onLog: stderrLine, toxics, watch })
        .catch(
          (e) => {
            throw failure(`Cannot record through a proxy on ${listen} to "${file}"`, e);
          },
        );
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
    .option(
      "--allow-read <dir>",
      "let the recording's @file payloads name files under DIR too (repeatable)",
      collect,
      [],
    )
    .option("--cert <file>", "serve a ws or wss recording as wss: certificate chain (PEM)")
    .option("--key <file>", "wss: private key (PEM) of --cert")
    .addHelpText("after", LOG_HELP)
    .action(async (file: string, _local: unknown, command: Command) => {
      // `--timeout` after `mock` lands in the global option of the same name.
      const options = command.optsWithGlobals<
        { listen?: string; timeout?: string; allowRead: string[]; cert?: string; key?: string }
      >();
      const script = parseScript(await readInput(file, `mock "${file}"`), file);
      const where = `Cannot mock "${file}" on ${options.listen ?? "127.0.0.1:0"}`;
      await using logger = await openRunLog(command.optsWithGlobals(), "mock");
      let started: Awaited<ReturnType<typeof startMock>>;
      try {
        started = await startMock(script, {
          listen: options.listen,
          timeout: options.timeout ? parseDuration(options.timeout, "mock --timeout") : undefined,
          allowRead: options.allowRead,
          cert: options.cert,
          key: options.key,
          onDiagnostic: (m) => stderrLine(`mock: ${m}`),
          onLog: (m) => stderrLine(`mock: ${m}`),
          watch: logger && ((registry) => void logger.attach(registry)),
        });
      } catch (error) {
        throw failure(where, error);
      }
      await using mock = started;
      const on = mock.transport === "udp" ? "udp " : "";
      const ws = mock.transport === "ws" || mock.transport === "wss";
      const at = ws ? `${mock.transport}://${mock.address}/` : `${on}${mock.address}`;
      const listening = `mock listening on ${at}, serving ${file}`;
      const signal = announce(listening) ? await untilSignal() : undefined;
      await mock.close();
      // A client that deviated from the recording fails the run, as a failed replay does.
      announce(`mock: ${mock.summary()}`);
      process.exitCode = mock.deviated > 0 ? 1 : signal ? exitCodeFor(signal) : 0;
    });

  cli.command("serve")
    .description(
      "run a built-in server (echo, ack, chat, discard, daytime, exec, broker) until Ctrl-C",
    )
    .argument("<protocol>", "echo, ack, chat, discard, daytime, exec or broker")
    .argument("<transport>", "tcp, udp, unix or tls")
    .argument("<address>", "HOST:PORT (:PORT binds 127.0.0.1), or a path for unix")
    .argument("[program...]", "exec: -- PROGRAM ARGS… to run for each connection")
    .option("--crlf", "exec: send the program's \\n line endings as \\r\\n")
    .option("--frame <frame>", "echo/ack per message: line, crlf, u16, u32, netstring")
    .option("--cert <file>", "TLS certificate chain (PEM)")
    .option("--key <file>", "TLS private key (PEM)")
    .option("--force", "unix: replace a stale socket file nobody answers on (never other files)")
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
    .addHelpText("after", LOG_HELP)
    .action(
      async (protocol: string, transport: string, address: string, program, options, self) => {
        using controller = interruptible();
        await using logger = await openRunLog(self.optsWithGlobals(), "serve");
        await serveForeground(protocol, transport, address, {
          ...options,
          program,
          // --log: every connection, #1, #2, … as the serve lines number them.
          watch: logger &&
            ((conn, id) =>
              void loggedTransport(logger, `#${id}`, conn, "accepted", transport === "tls")),
          // UDP: the server's one socket, `serve`, with each datagram's peer.
          watchDatagrams: logger && ((conn) => void loggedDatagrams(logger, "serve", conn)),
          // A closed stdout stops the server as a signal would, quietly.
          write: (line: string) => {
            if (!announce(line)) controller.abort("SIGPIPE");
          },
          signal: controller.signal,
        });
        const reason = controller.signal.reason;
        if (reason !== "SIGPIPE") process.exitCode = exitCodeFor(reason);
      },
    );

  cli.addCommand(connectCommand());
  // `sockit ws URL` is `sockit connect URL` (one data path): websocat's habit under its name.
  cli.addCommand(connectCommand("ws"));
  cli.addCommand(listenCommand());

  addRelay(cli);
  addDiagram(cli);
  addCompletions(cli);
  return cli;
}

/** Collects a repeatable option's values. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
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
  const internal = 'Cannot listen "mock": ';
  if (error instanceof SockitError && error.message.startsWith(internal)) {
    return new SockitError(`${what}: ${error.message.slice(internal.length)}`, {
      code: error.code,
      hint: error.hint,
      cause: error,
    });
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
