/**
 * The toxics a relay owns ({@link ToxicSet}): added, listed, removed and cleared while traffic
 * flows, per direction, each connection passing its bytes through them in the order they were
 * added. It gives the relay one {@link Stage} per connection and direction, which follows the
 * set as it changes:
 *
 * - a toxic added mid-connection applies to that connection's next bytes (timers such as
 *   `timeout` and `reset_peer` start when it is added);
 * - a toxic removed mid-connection first passes on what it holds (a latency's queue), then
 *   bytes flow past it: order is kept, nothing is lost or duplicated;
 * - `--toxicity P` is decided once per connection and toxic, when the toxic first applies to
 *   that connection (at connect, or when added), the same for both directions;
 * - bytes a toxic drops on purpose (limit_data, timeout) are counted on the toxic (`ls`) and on
 *   the connection (its closed event).
 *
 * @example A latency toxic on a relay, listed and removed
 * ```ts
 * import assert from "node:assert/strict";
 * import { ToxicSet } from "./toxics.ts";
 * import { parseToxic } from "./parse.ts";
 * const toxics = new ToxicSet();
 * const added = toxics.add(parseToxic("latency 100ms --down", "toxic"), "toxic");
 * assert.equal(added.name, "latency");
 * assert.equal(toxics.list()[0].text, "latency 100ms --jitter 0ms --down");
 * toxics.remove("latency", "toxic");
 * assert.equal(toxics.list().length, 0);
 * ```
 *
 * @module
 */
import { SockitError } from "../../grammar/errors.ts";
import { nearest } from "../../grammar/nearest.ts";
import type { Forward, Stage } from "../relay_pipe.ts";
import type { StreamTransport } from "../stream_socket.ts";
import type { ConnectionControl, Direction, ToxicContext, ToxicRun } from "./_toxic.ts";
import { formatToxic, type ToxicSpec, toxicType } from "./parse.ts";

/**
 * One toxic of a set, with what it has done so far.
 *
 * @example A new toxic has done nothing yet
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ToxicInfo, ToxicSet } from "./toxics.ts";
 * import { parseToxic } from "./parse.ts";
 * const toxics = new ToxicSet();
 * const info: ToxicInfo = toxics.add(parseToxic("limit_data 100", "toxic"), "toxic");
 * assert.deepEqual([info.name, info.applied, info.cut, info.closed], ["limit_data", 0, 0, 0]);
 * ```
 */
export interface ToxicInfo {
  /** Its name in the set (`latency`, or what `--as` gave). */
  name: string;
  /** What it is, as written. */
  spec: ToxicSpec;
  /** The spec written back (`latency 100ms --jitter 0ms --down`). */
  text: string;
  /** Connections it applied to. */
  applied: number;
  /** Connections its toxicity spared. */
  spared: number;
  /** Bytes it dropped on purpose. */
  cut: number;
  /** Connections it closed or reset. */
  closed: number;
}

interface Entry extends ToxicInfo {
  seq: number;
}

/**
 * The toxics of one relay; see the module documentation.
 *
 * @example Two toxics, the second named with `--as`, then cleared
 * ```ts
 * import assert from "node:assert/strict";
 * import { ToxicSet } from "./toxics.ts";
 * import { parseToxic } from "./parse.ts";
 * const toxics = new ToxicSet();
 * toxics.add(parseToxic("latency 50ms", "toxic"), "toxic");
 * toxics.add(parseToxic("slicer --size 1 --as tiny", "toxic"), "toxic");
 * assert.deepEqual(toxics.list().map((t) => t.name), ["latency", "tiny"]);
 * toxics.clear();
 * assert.equal(toxics.size, 0);
 * ```
 */
export class ToxicSet {
  #entries: Entry[] = [];
  #seq = 0;
  #chains = new Set<Chain>();
  #decisions = new Map<number, { chains: number; hit: Map<Entry, boolean> }>();

  /** How many toxics there are. */
  get size(): number {
    return this.#entries.length;
  }

  /** Adds a toxic (named `--as`, else after its type: `latency`, `latency2`, …). */
  add(spec: ToxicSpec, action: string): ToxicInfo {
    let name = spec.name;
    if (name !== undefined && this.#entries.some((e) => e.name === name)) {
      throw new SockitError(`Cannot ${action}: there is already a toxic "${name}"`, {
        code: "exists",
        hint: `toxic … rm ${name} first, or --as ANOTHER`,
      });
    }
    if (name === undefined) {
      name = spec.type;
      for (let n = 2; this.#entries.some((e) => e.name === name); n++) name = `${spec.type}${n}`;
    }
    const entry: Entry = {
      name,
      spec,
      text: formatToxic(spec),
      applied: 0,
      spared: 0,
      cut: 0,
      closed: 0,
      seq: ++this.#seq,
    };
    this.#entries.push(entry);
    for (const chain of this.#chains) chain.sync();
    return entry;
  }

  /** Removes the toxic `name`; connections pass on what it holds first. */
  remove(name: string, action: string): ToxicInfo {
    const at = this.#entries.findIndex((e) => e.name === name);
    if (at < 0) {
      const guess = nearest(name, this.#entries.map((e) => e.name));
      throw new SockitError(`Cannot ${action}: no toxic "${name}"`, {
        code: "not-found",
        hint: guess
          ? `did you mean ${guess}?`
          : this.#entries.length === 0
          ? "there are no toxics"
          : `toxics: ${this.#entries.map((e) => e.name).join(", ")}`,
      });
    }
    const [entry] = this.#entries.splice(at, 1);
    for (const chain of this.#chains) chain.sync();
    return entry;
  }

  /** Removes every toxic; returns how many there were. */
  clear(): number {
    const n = this.#entries.length;
    this.#entries = [];
    for (const chain of this.#chains) chain.sync();
    return n;
  }

  /** The toxics in the order bytes pass them. */
  list(): ToxicInfo[] {
    return this.#entries.map((e) => ({ ...e }));
  }

  /** The stages of connection `id`'s direction: give to {@link RelayOptions.stages}. */
  stages(id: number, direction: Direction, control: ConnectionControl): Stage[] {
    return [new Chain(this, id, direction, control)];
  }

  /** @internal The toxics on `direction`, in order. */
  entries(direction: Direction): Entry[] {
    return this.#entries.filter((e) => e.spec.directions.includes(direction));
  }

  /** @internal Whether toxic `entry` applies to connection `id` (decided once). */
  decide(id: number, entry: Entry): boolean {
    const hits = this.#decisions.get(id)!.hit;
    let hit = hits.get(entry);
    if (hit === undefined) {
      hit = entry.spec.toxicity >= 1 || Math.random() < entry.spec.toxicity;
      hits.set(entry, hit);
      if (hit) entry.applied++;
      else entry.spared++;
    }
    return hit;
  }

  /** @internal */
  join(chain: Chain, id: number): void {
    this.#chains.add(chain);
    const d = this.#decisions.get(id) ?? { chains: 0, hit: new Map() };
    d.chains++;
    this.#decisions.set(id, d);
  }

  /** @internal */
  leave(chain: Chain, id: number): void {
    this.#chains.delete(chain);
    const d = this.#decisions.get(id);
    if (d && --d.chains === 0) this.#decisions.delete(id);
  }
}

/** The toxics that closed or reset each connection so far. */
const closers = new WeakMap<ConnectionControl, Set<Entry>>();

interface Live {
  entry: Entry;
  run: ToxicRun | null;
}

/** One connection's direction through the set's toxics. */
class Chain implements Stage {
  #set: ToxicSet;
  #id: number;
  #direction: Direction;
  #control: ConnectionControl;
  #live: Live[] = [];
  #retiring: ToxicRun[] = [];

  constructor(set: ToxicSet, id: number, direction: Direction, control: ConnectionControl) {
    this.#set = set;
    this.#id = id;
    this.#direction = direction;
    this.#control = control;
    set.join(this, id);
    control.signal.addEventListener("abort", () => set.leave(this, id), { once: true });
    this.sync();
  }

  /** Follows the set: new toxics start, removed ones retire once they passed on what they hold. */
  sync(): void {
    if (this.#control.signal.aborted) return;
    const old = new Map(this.#live.map((l) => [l.entry, l]));
    this.#live = this.#set.entries(this.#direction).map((entry) => {
      const kept = old.get(entry);
      if (kept) {
        old.delete(entry);
        return kept;
      }
      const run = this.#set.decide(this.#id, entry)
        ? toxicType(entry.spec).create(entry.spec.args, this.#context(entry))
        : null;
      return { entry, run };
    });
    for (const gone of old.values()) if (gone.run?.flush) this.#retiring.push(gone.run);
  }

  #context(entry: Entry): ToxicContext {
    const control = this.#control;
    // A toxic on both directions closes its connection once, as far as `ls` counts.
    const count = () => {
      const counted = closers.get(control) ?? new Set<Entry>();
      closers.set(control, counted);
      if (!control.signal.aborted && !counted.has(entry)) entry.closed++;
      counted.add(entry);
    };
    return {
      signal: control.signal,
      close: (why) => {
        count();
        control.close(why);
      },
      reset: (why) => {
        count();
        control.reset(why);
      },
      cut: (n) => {
        entry.cut += n;
        control.cut(n);
      },
    };
  }

  async #retire(): Promise<void> {
    while (this.#retiring.length > 0) {
      const runs = this.#retiring;
      this.#retiring = [];
      await Promise.all(runs.map((r) => r.flush!()));
    }
  }

  async data(chunk: Uint8Array, next: Forward): Promise<void> {
    if (this.#retiring.length > 0) await this.#retire();
    const live = this.#live;
    if (live.length === 0) return next(chunk);
    const step = (i: number, bytes: Uint8Array): Promise<void> => {
      while (i < live.length && live[i].run === null) i++;
      if (i === live.length) return next(bytes);
      return live[i].run!.data(bytes, (b) => step(i + 1, b));
    };
    return step(0, chunk);
  }

  async end(next: () => Promise<void>): Promise<void> {
    if (this.#retiring.length > 0) await this.#retire();
    const live = this.#live;
    const step = (i: number): Promise<void> => {
      while (i < live.length && !live[i].run?.end) i++;
      if (i === live.length) return next();
      return live[i].run!.end!(() => step(i + 1));
    };
    return step(0);
  }
}

/** How long a connection a toxic closed may stay half-open before it is closed: 1 s. */
export const TOXIC_CLOSE_LINGER = 1000;

/** What a forwarder tells {@link connectionControl}, and hears from it. */
export interface ControlHooks {
  /** Aborted when the connection ends (by the forwarder, or by a toxic's close or reset). */
  ended: AbortController;
  /** A toxic closed or reset the connection, and why (`limit_data: closed after 100 bytes`). */
  why(text: string): void;
  /** A toxic dropped `n` bytes on purpose. */
  cut(n: number): void;
}

/**
 * The {@link ConnectionControl} of one forwarded connection (`relay`, `record --proxy`): a close
 * shuts both sides' writing (the peers read what they got, then end of stream) and closes both
 * {@link TOXIC_CLOSE_LINGER} later unless they are done first; a reset sends the client a real
 * RST when its transport can (`reset()`: a `node:net` connection) and closes both. `finish()`
 * is the forwarder's: the connection is over.
 *
 * @example A toxic's close reaches both sides
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectionControl } from "./toxics.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const a = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const b = await listener.accept();
 * const whys: string[] = [];
 * const control = connectionControl(b, b, {
 *   ended: new AbortController(),
 *   why: (w) => whys.push(w),
 *   cut() {},
 * });
 * control.close("limit_data: closed after 0 bytes");
 * assert.equal(await a.read(new Uint8Array(1)), null);
 * control.finish();
 * assert.deepEqual(whys, ["limit_data: closed after 0 bytes"]);
 * a.close();
 * b.close();
 * listener.close();
 * ```
 */
export function connectionControl(
  client: StreamTransport,
  target: StreamTransport,
  hooks: ControlHooks,
): ConnectionControl & { finish(): void } {
  const { ended } = hooks;
  let closing = false;
  let linger: ReturnType<typeof setTimeout> | undefined;
  const closeBoth = () => {
    ended.abort();
    for (const side of [client, target]) {
      try {
        side.close();
      } catch { /* already closed */ }
    }
  };
  return {
    signal: ended.signal,
    close(why) {
      if (ended.signal.aborted || closing) return;
      closing = true;
      hooks.why(why);
      for (const side of new Set([client, target])) side.closeWrite().catch(() => {});
      linger = setTimeout(closeBoth, TOXIC_CLOSE_LINGER);
    },
    reset(why) {
      if (ended.signal.aborted) return;
      hooks.why(why);
      (client as { reset?: () => void }).reset?.();
      closeBoth();
    },
    cut: (n) => hooks.cut(n),
    finish() {
      clearTimeout(linger);
      ended.abort();
    },
  };
}
