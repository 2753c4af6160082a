/**
 * `deno task compile` and `compile-native`: runs `deno compile ARGS…` and passes its output
 * through, except when Deno's runtime (denort, from dl.deno.land) cannot be downloaded: then one
 * line says so and what to do instead, rather than Deno's error chain and stack backtrace.
 *
 *   deno run --allow-run --allow-read scripts/compile.ts --allow-net … --output sockit main.ts
 *
 * @module
 */

/**
 * The one line for a `deno compile` whose stderr shows that the runtime download failed, or
 * undefined for any other outcome.
 *
 * @example A download that failed on DNS
 * ```ts
 * import assert from "node:assert/strict";
 * import { downloadFailure } from "./compile.ts";
 * const stderr = [
 *   "error: Writing deno compile executable to temporary file 'sockit.tmp'",
 *   "Caused by:",
 *   "    0: Setting up base binary.",
 *   "    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort.zip)",
 *   "    4: failed to lookup address information: Name or service not known",
 * ].join("\n");
 * assert.match(downloadFailure(stderr)!, /could not download Deno's runtime \(dl\.deno\.land:/);
 * assert.equal(downloadFailure("error: Module not found"), undefined);
 * ```
 */
export function downloadFailure(stderr: string): string | undefined {
  const url = /error sending request for url \((\w+:\/\/([^/)]+)[^)]*)\)/.exec(stderr);
  if (!url && !/Setting up base binary/.test(stderr)) return undefined;
  const host = url?.[2] ?? "dl.deno.land";
  const chain = stderr.split(/^Stack backtrace:/m)[0];
  const causes = [...chain.matchAll(/^\s+\d+: (.*)$/gm)].map((m) => m[1]);
  const reason = causes.at(-1)?.replace(/\.$/, "") ?? "download failed";
  return `sockit: deno compile could not download Deno's runtime (${host}: ${reason}): ` +
    `run sockit with "deno task sockit" or "deno install -g …" (README: Set up) instead, ` +
    `or compile on a machine that reaches ${host}`;
}

if (import.meta.main) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["compile", ...Deno.args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  const failure = code === 0 ? undefined : downloadFailure(text);
  if (failure) {
    console.error(failure);
    Deno.exit(1);
  }
  writeAll(Deno.stdout, stdout);
  writeAll(Deno.stderr, stderr);
  Deno.exit(code);
}

function writeAll(to: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += to.writeSync(bytes.subarray(at));
}
