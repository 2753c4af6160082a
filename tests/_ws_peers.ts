/** Python `websockets` peers for the WebSocket tests and the benchmark (Debian's /usr/bin/python3). */

import { type Peer, spawnPeer } from "./_peers.ts";

/** Debian's Python, which has `python3-websockets` (the python3 on PATH may not). */
export const PYTHON = "/usr/bin/python3";

/** A script under tests/python/. */
export function pythonScript(name: string): string {
  return new URL(`./python/${name}`, import.meta.url).pathname;
}

/** Starts tests/python/ws_echo_server.py and returns it once it listens. */
export async function wsEchoServer(args: string[] = []): Promise<{ peer: Peer; port: number }> {
  const peer = spawnPeer(PYTHON, ["-u", pythonScript("ws_echo_server.py"), ...args]);
  const m = await peer.waitFor(/listening (\d+)/, 10_000);
  return { peer, port: Number(m[1]) };
}
