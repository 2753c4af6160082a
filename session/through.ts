/**
 * `sockit test --through 'latency 50ms; slicer --size 1'`: a replay whose stream `open`s go
 * through toxics. Each distinct target a script opens (`open tcp NAME HOST:PORT`, after its
 * `${…}` variables are expanded) gets an in-process relay on 127.0.0.1 with those toxics, and
 * the `open` dials the relay instead: the script talks to its real server over a slow or lossy
 * path. Only tcp opens go through (tls would verify the relay's address, not the server's);
 * a target the replay's policy refuses (not loopback, not `--allow-net`) is left alone, so
 * the policy still refuses it.
 *
 * @example An open rewritten to a relay
 * ```ts
 * import assert from "node:assert/strict";
 * import { ThroughRelays } from "./through.ts";
 * import { parseToxicList } from "../sockets/toxics/parse.ts";
 * await using through = new ThroughRelays(parseToxicList("latency 10ms", "test --through"), []);
 * const line = await through.rewrite("open tcp a 127.0.0.1:6379 --timeout 1s");
 * assert.match(line, /^open tcp a 127\.0\.0\.1:\d+ --timeout 1s$/);
 * assert.notEqual(line, "open tcp a 127.0.0.1:6379 --timeout 1s");
 * assert.equal(await through.rewrite("send a hi"), "send a hi");
 * ```
 *
 * @module
 */
import { formatHostPort, parseHostPort } from "../sockets/address.ts";
import { type RunningRelay, startRelay } from "../sockets/relay.ts";
import type { ToxicSpec } from "../sockets/toxics/parse.ts";
import { ToxicSet } from "../sockets/toxics/toxics.ts";
import { hostAllowed } from "./policy.ts";

/** The relays of one replay, one per target; closed with it. */
export class ThroughRelays implements AsyncDisposable {
  #specs: readonly ToxicSpec[];
  #net: Set<string>;
  #relays = new Map<string, Promise<RunningRelay>>();

  /** Toxics `specs` on every relay; `allowNet` as the replay's `--allow-net`. */
  constructor(specs: readonly ToxicSpec[], allowNet: readonly string[]) {
    this.#specs = specs;
    this.#net = new Set(allowNet.map((h) => h.toLowerCase()));
  }

  /** The line to run: a tcp `open` dials its target's relay; any other line is as given. */
  async rewrite(line: string): Promise<string> {
    const m = /^(\s*open\s+tcp\s+\S+\s+)(\S+)(.*)$/s.exec(line);
    if (!m) return line;
    const target = m[2];
    let host: string;
    try {
      host = parseHostPort(target, "open").host;
    } catch {
      return line; // the open itself says what is wrong
    }
    if (!hostAllowed(host, this.#net)) return line;
    let relay = this.#relays.get(target);
    if (!relay) {
      const toxics = new ToxicSet();
      for (const spec of this.#specs) toxics.add(spec, "test --through");
      relay = startRelay(`through ${target}`, "127.0.0.1:0", `tcp:${target}`, { toxics });
      this.#relays.set(target, relay);
    }
    const addr = (await relay).addr as Deno.NetAddr;
    return m[1] + formatHostPort(addr.hostname, addr.port) + m[3];
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const relays = await Promise.allSettled(this.#relays.values());
    await Promise.all(relays.map((r) => r.status === "fulfilled" ? r.value.close() : undefined));
  }
}
