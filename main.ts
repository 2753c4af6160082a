/**
 * The sockit command line: a thin layer over the library.
 *
 *   sockit                      interactive shell (commands from stdin when it is not a terminal)
 *   sockit -c 'cmd; cmd'        run commands, stop at the first failure
 *   sockit run FILE             run a file of commands
 *   sockit serve PROTO KIND ADDR  run a built-in server in the foreground until Ctrl-C
 *
 * @module
 */
import { Command } from "commander";
import process from "node:process";
import { runBatch, splitLines } from "./shell/batch.ts";
import { paletteFor } from "./shell/colors.ts";
import { runRepl } from "./shell/repl.ts";
import { Shell } from "./shell/shell.ts";
import { splitStatements } from "./shell/tokenize.ts";
import { SockitError } from "./sockets/errors.ts";
import { VERSION } from "./version.ts";
import { renderError } from "./shell/renderer.ts";
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
}

function makeShell(options: GlobalOptions): Shell {
  const shell = new Shell();
  if (options.display) void shell.execute(`set display ${options.display}`);
  if (options.timeout) void shell.execute(`set timeout ${options.timeout}`);
  return shell;
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
    .showSuggestionAfterError(true)
    .action(async (options: GlobalOptions) => {
      const shell = makeShell(options);
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
      const shell = makeShell(cli.opts());
      process.exitCode = await batch(shell, splitLines(text), file, cli.opts().events);
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

if (import.meta.main) {
  try {
    await program().parseAsync(Deno.args, { from: "user" });
  } catch (error) {
    console.error(renderError(error, paletteFor(Deno.stderr.isTerminal())));
    process.exitCode = 1;
  }
  Deno.exit(Number(process.exitCode ?? 0));
}
