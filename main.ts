/**
 * The sockit command line: a thin layer over the library.
 *
 *   sockit                      interactive shell (commands from stdin when it is not a terminal)
 *   sockit -c 'cmd; cmd'        run commands, stop at the first failure
 *   sockit run FILE             run a file of commands
 *   sockit test PATH…           replay recorded scripts (--update rewrites them)
 *   sockit --record FILE        record the session as a script
 *   sockit record --proxy LISTEN TARGET FILE   record real clients talking to a real server
 *   sockit mock FILE            serve the server side of a recording
 *   sockit serve PROTO KIND ADDR  run a built-in server in the foreground until Ctrl-C
 *
 * @module
 */
import { Command } from "commander";
import process from "node:process";
import { runBatch, splitLines, stderrLine, stdoutLine } from "./shell/batch.ts";
import { paletteFor } from "./shell/colors.ts";
import { runRepl } from "./shell/repl.ts";
import { Shell } from "./shell/shell.ts";
import { splitStatements } from "./shell/tokenize.ts";
import { SockitError } from "./sockets/errors.ts";
import { VERSION } from "./version.ts";
import { renderError } from "./shell/renderer.ts";
import { parseDuration } from "./sockets/address.ts";
import { runTests } from "./session/run.ts";
import { attachRecorder } from "./session/recorder.ts";
import { startMock } from "./session/mock.ts";
import { parseScript } from "./session/parse.ts";
import { startProxy } from "./session/proxy.ts";
import { serveForeground } from "./protocols/foreground.ts";

async function* stdinLines(): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of Deno.stdin.readable) {
    rest += decoder.decode(chunk, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop()!;
    for (const line of lines) yield line.replace(/\r$/, "");
  }
  if (rest !== "") yield rest;
}

/** Options every way of running the shell shares. */
interface GlobalOptions {
  command?: string;
  display?: string;
  timeout?: string;
  events?: boolean;
  record?: string;
}

async function makeShell(options: GlobalOptions): Promise<Shell> {
  const shell = new Shell();
  if (options.display) await shell.execute(`set display ${options.display}`);
  if (options.timeout) await shell.execute(`set timeout ${options.timeout}`);
  const recorder = attachRecorder(shell);
  if (options.record) await recorder.start(options.record);
  return shell;
}

/** Finishes a recording the session left running (`--record`, or `record start` without stop). */
async function finish(shell: Shell): Promise<void> {
  const recorder = attachRecorder(shell);
  if (recorder.file) await recorder.stop();
}

/** Ctrl-C / SIGTERM in batch mode: cancel what runs, then the run stops with 130. */
function interruptible(): AbortController {
  const controller = new AbortController();
  const stop = () => controller.abort();
  try {
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  } catch { /* signals unsupported here */ }
  return controller;
}

async function batch(
  shell: Shell,
  lines: Iterable<string> | AsyncIterable<string>,
  source: string,
  events?: boolean,
) {
  const palette = paletteFor(Deno.stderr.isTerminal());
  const controller = interruptible();
  const code = await runBatch(shell, lines, { source, palette, events, signal: controller.signal });
  await finish(shell);
  await shell.close();
  return code;
}

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
        process.exitCode = await runRepl(shell, {
          banner: `sockit ${VERSION} — type help, Tab completes, Ctrl-D leaves`,
        });
        await finish(shell);
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
    .action(async (file: string, options: { listen?: string; timeout?: string }) => {
      const script = parseScript(await Deno.readTextFile(file), file);
      await using mock = startMock(script, {
        listen: options.listen,
        timeout: options.timeout ? parseDuration(options.timeout, "mock --timeout") : undefined,
        onDiagnostic: (m) => stderrLine(`mock: ${m}`),
        onLog: (m) => stderrLine(`mock: ${m}`),
      });
      await mock.ready;
      stdoutLine(`mock listening on ${mock.address}, serving ${file}`);
      await untilSignal();
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
    .option("--max-queue <bytes>", "chat: drop a client this many bytes behind", Number)
    .option("--quiet", "log only the listening and stopped lines")
    .action(async (protocol: string, transport: string, address: string, options) => {
      const controller = interruptible();
      await serveForeground(protocol, transport, address, {
        ...options,
        signal: controller.signal,
      });
    });

  return cli;
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

if (import.meta.main) {
  try {
    await program().parseAsync(Deno.args, { from: "user" });
  } catch (error) {
    console.error(renderError(error, paletteFor(Deno.stderr.isTerminal())));
    process.exitCode = 1;
  }
  Deno.exit(Number(process.exitCode ?? 0));
}
