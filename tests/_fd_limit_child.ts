/**
 * A shell for tests/fd_limit_test.ts to run under a low `ulimit -n`: starts the server given as
 * the first argument (named `srv`), prints its port, then for each stdin line runs it and prints
 * one JSON line: the result or error, the error events so far, and the failed accepts of a
 * `listen` listener.
 */
import { Shell } from "../shell/shell.ts";
import { Listener } from "../sockets/listener.ts";

const shell = new Shell({ timeout: 3000 });
const errors: string[] = [];
shell.registry.subscribe((e) => e.type === "error" && errors.push(`${e.name}: ${e.message}`));
const started = await shell.execute(Deno.args[0]);
if (started.kind !== "socket") throw new Error(JSON.stringify(started));
console.log(started.info.local.split(":").pop());

const decoder = new TextDecoder();
let pending = "";
for await (const chunk of Deno.stdin.readable) {
  pending += decoder.decode(chunk, { stream: true });
  let i;
  while ((i = pending.indexOf("\n")) >= 0) {
    const line = pending.slice(0, i);
    pending = pending.slice(i + 1);
    let result: unknown;
    try {
      result = await shell.execute(line);
    } catch (error) {
      result = { error: error instanceof Error ? error.message : String(error) };
    }
    const srv = shell.registry.get("srv", "report");
    const failures = srv instanceof Listener ? srv.acceptFailures : undefined;
    console.log(JSON.stringify({ result, errors, failures, note: srv.info().note }));
  }
}
await shell.close();
