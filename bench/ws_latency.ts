/**
 * WebSocket round-trip latency against one Python `websockets` echo server
 * (tests/python/ws_echo_server.py): sockit's `open ws` driven through the shell's commands
 * (`send a ping` then `recv a`, as a script runs them), the same socket through its API
 * (`write` then `buffer.recv`), and a Python `websockets` client (tests/python/ws_latency_client.py)
 * in the same run, rounds alternating. The best and the median round are reported, and the ratio
 * to the Python client.
 *
 *   deno run -A bench/ws_latency.ts [MESSAGES] [ROUNDS]
 *
 * @module
 */
import { Shell } from "../shell/shell.ts";
import type { WsSocket } from "../sockets/ws_socket.ts";
import { fmt, median, table } from "./_util.ts";

const MESSAGES = Number(Deno.args[0] ?? 5_000);
const ROUNDS = Number(Deno.args[1] ?? 5);
const PYTHON = "/usr/bin/python3";
const script = (name: string) => new URL(`../tests/python/${name}`, import.meta.url).pathname;

const server = new Deno.Command(PYTHON, {
  args: ["-u", script("ws_echo_server.py")],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
let head = "";
while (!/listening (\d+)/.test(head)) {
  const { value, done } = await reader.read();
  if (done) throw new Error(`the Python server never listened: ${head}`);
  head += value;
}
const port = Number(/listening (\d+)/.exec(head)![1]);
const url = `ws://127.0.0.1:${port}/`;

async function shellRound(n: number): Promise<number> {
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute(`open ws a ${url}`);
  for (let i = 0; i < 100; i++) {
    await shell.execute("send a ping");
    await shell.execute("recv a");
  }
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    await shell.execute("send a ping");
    await shell.execute("recv a");
  }
  return ((performance.now() - start) * 1000) / n;
}

async function apiRound(n: number): Promise<number> {
  await using shell = new Shell({ timeout: 5000 });
  await shell.execute(`open ws a ${url}`);
  const socket = shell.registry.get("a", "bench") as WsSocket;
  const ping = new TextEncoder().encode("ping");
  const once = async () => {
    await socket.write(ping);
    if ((await socket.buffer.recv(64, { timeout: 5000 })).status !== "ok") throw new Error("echo");
  };
  for (let i = 0; i < 100; i++) await once();
  const start = performance.now();
  for (let i = 0; i < n; i++) await once();
  return ((performance.now() - start) * 1000) / n;
}

async function pythonRound(n: number): Promise<number> {
  const out = await new Deno.Command(PYTHON, {
    args: [script("ws_latency_client.py"), url, String(n)],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(out.stdout).trim());
}

const rounds: [string, (n: number) => Promise<number>][] = [
  ["sockit open ws (shell commands)", shellRound],
  ["sockit open ws (socket API)", apiRound],
  ["python websockets client", pythonRound],
];
const results = new Map<string, number[]>(rounds.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of rounds) results.get(name)!.push(await run(MESSAGES));
}
server.kill("SIGTERM");
await server.status;

const python = Math.min(...results.get("python websockets client")!);
console.log(
  `WebSocket echo round trip, ${MESSAGES} sequential 4-byte text messages x ${ROUNDS} rounds, ` +
    `against one Python websockets ${"echo server"} on loopback (µs per round trip)`,
);
table([
  ["client", "best", "median", "best vs python"],
  ...rounds.map(([name]) => {
    const xs = results.get(name)!;
    return [name, fmt(Math.min(...xs)), fmt(median(xs)), `${fmt(Math.min(...xs) / python, 2)}x`];
  }),
]);
