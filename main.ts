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
 * A bare `sockit` goes straight to the shell; anything else loads the option parser.
 *
 * @module
 */
import { paletteFor } from "./shell/colors.ts";
import { renderError } from "./shell/renderer.ts";
import { OutputClosed } from "./shell/batch.ts";
import { EXIT_FAILED, EXIT_OUTPUT_CLOSED } from "./shell/exit_codes.ts";

if (import.meta.main) {
  let code = 0;
  try {
    if (Deno.args.length === 0) {
      const { batch, interactive, makeShell, stdinLines } = await import("./cli_shell.ts");
      const shell = await makeShell({});
      code = Deno.stdin.isTerminal()
        ? await interactive(shell)
        : await batch(shell, stdinLines(), "stdin");
    } else {
      const { program } = await import("./cli.ts");
      await program().parseAsync(Deno.args, { from: "user" });
      code = Number((await import("node:process")).default.exitCode ?? 0);
    }
  } catch (error) {
    if (error instanceof OutputClosed) code = EXIT_OUTPUT_CLOSED;
    else if (Deno.args.includes("--json")) { // outside any line: line and command are null
      console.error((await import("./shell/json_output.ts")).jsonErrorLine(null, null, error));
      code = EXIT_FAILED;
    } else {
      console.error(renderError(error, paletteFor(Deno.stderr.isTerminal())));
      code = EXIT_FAILED;
    }
  }
  Deno.exit(code);
}
