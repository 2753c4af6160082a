/**
 * `deno task bench`: runs each benchmark in its own process, one after another, so they do not
 * compete for the machine's two cores. Each prints its own figures and ratios against peers
 * measured in the same run.
 *
 * @module
 */
const BENCHES = [
  "startup.ts",
  "bulk_send.ts",
  "recv_to_file.ts",
  "replay.ts",
  "echo_latency.ts",
  "many_clients.ts",
  "chat.ts",
  "proxy.ts",
  "pipes.ts",
  "churn.ts",
  "log_overhead.ts",
  "log_wakeups.ts",
  "relay.ts",
  "toxics.ts",
  "ws_latency.ts",
];

const only = Deno.args;
for (const file of BENCHES) {
  if (only.length && !only.some((o) => file.includes(o))) continue;
  console.log(`\n== ${file}`);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(file, import.meta.url).pathname],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) console.log(`(${file} failed with exit code ${out.code})`);
}
