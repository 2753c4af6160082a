/**
 * The one model every diagram is drawn from, whatever it was read from (a recorded script, a
 * JSON Lines log, a pcap): lifelines (one per socket or peer) and events in the order they
 * happened, each on a lifeline, with a time, a kind and, for data, a direction and the bytes.
 *
 * @module
 */

/** What a diagram was read from. */
export type SourceKind = "script" | "jsonl" | "pcap";

/** One column of the chart: a socket of the session, or a peer it talked to. */
export interface Lifeline {
  /** Unique within the diagram (a socket name, or an address for a peer). */
  id: string;
  /** The header's first line. */
  label: string;
  /** The header's second line (transport, role, address), if known. */
  detail?: string;
}

/** What happened. `send`/`recv` are arrows; the others are markers on one lifeline. */
export type EventKind =
  | "send"
  | "recv"
  | "open"
  | "accept"
  | "half-close"
  | "peer-closed"
  | "reset"
  | "timeout"
  | "error"
  | "close";

/** The kinds drawn as markers, in the legend's order. */
export const MARKER_KINDS = [
  "open",
  "accept",
  "half-close",
  "peer-closed",
  "reset",
  "timeout",
  "error",
  "close",
] as const satisfies readonly EventKind[];

/** One event on a lifeline. */
export interface DiagramEvent {
  /** Microseconds since the start (logs, pcaps); undefined for scripts, which have no clock. */
  t?: number;
  /** Where it comes from when there is no clock: the script's line. */
  line?: number;
  kind: EventKind;
  /**
   * The lifeline it happens on: for `send`, the sender; for `recv`, the receiver; for markers,
   * the socket marked.
   */
  on: string;
  /**
   * The other end: for `send` the receiving lifeline, for `recv` the sending one; for `open`
   * the peer dialled, for `accept` the new connection.
   */
  peer?: string;
  /** The bytes moved (data), possibly only the first of them (see {@link DiagramEvent.size}). */
  bytes?: Uint8Array;
  /** How many bytes moved, when not all of them are in `bytes`. */
  size?: number;
  /** A label instead of the bytes (`/regex/`, `@file`), or a marker's text. */
  note?: string;
  /** For grouped arrows: how many chunks this one stands for (1 when absent). */
  count?: number;
}

/** A whole diagram. */
export interface Diagram {
  /** The file it was read from, as given. */
  source: string;
  kind: SourceKind;
  lifelines: Lifeline[];
  events: DiagramEvent[];
}

/**
 * How many bytes an event moved.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { eventSize } from "./model.ts";
 * assert.equal(eventSize({ kind: "send", on: "a", bytes: new Uint8Array(3) }), 3);
 * assert.equal(eventSize({ kind: "send", on: "a", bytes: new Uint8Array(3), size: 9000 }), 9000);
 * ```
 */
export function eventSize(e: DiagramEvent): number {
  return e.size ?? e.bytes?.length ?? 0;
}

/**
 * Whether an event is drawn as an arrow (a send or a received chunk), not a marker.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isArrow } from "./model.ts";
 * assert.equal(isArrow({ kind: "recv", on: "a" }), true);
 * assert.equal(isArrow({ kind: "reset", on: "a" }), false);
 * ```
 */
export function isArrow(e: DiagramEvent): boolean {
  return e.kind === "send" || e.kind === "recv";
}

/**
 * Collects lifelines in order of first appearance: `ensure` adds one unless it exists, and
 * fills in a detail it learns later.
 *
 * @example Lifelines in order of appearance
 * ```ts
 * import assert from "node:assert/strict";
 * import { Lifelines } from "./model.ts";
 * const l = new Lifelines();
 * l.ensure("b");
 * l.ensure("a", "tcp client");
 * l.ensure("b", "udp");
 * assert.deepEqual(l.list(), [
 *   { id: "b", label: "b", detail: "udp" },
 *   { id: "a", label: "a", detail: "tcp client" },
 * ]);
 * ```
 */
export class Lifelines {
  #byId = new Map<string, Lifeline>();

  /** The lifeline `id`, made if new; `detail` is set when it had none. */
  ensure(id: string, detail?: string, label = id): Lifeline {
    let l = this.#byId.get(id);
    if (!l) {
      l = { id, label };
      this.#byId.set(id, l);
    }
    if (detail !== undefined && l.detail === undefined) l.detail = detail;
    return l;
  }

  /** Whether `id` exists. */
  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** Every lifeline, in order of first appearance. */
  list(): Lifeline[] {
    return [...this.#byId.values()];
  }
}

/** Arrows are grouped from this many chunk arrows on (see {@link groupChunks}). */
export const GROUP_FROM = 200;

/**
 * Folds runs of consecutive arrows in the same direction between the same two lifelines into
 * one arrow standing for the run (`count` chunks, `size` bytes, the first bytes kept for the
 * preview). Nothing else happens between the chunks of a run, so no order is lost.
 *
 * @example Three chunks one way become one arrow
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupChunks } from "./model.ts";
 * const b = (s: string) => new TextEncoder().encode(s);
 * const events = groupChunks([
 *   { kind: "send", on: "a", peer: "b", bytes: b("one ") },
 *   { kind: "send", on: "a", peer: "b", bytes: b("two ") },
 *   { kind: "send", on: "a", peer: "b", bytes: b("three") },
 *   { kind: "recv", on: "a", peer: "b", bytes: b("ok") },
 * ]);
 * assert.equal(events.length, 2);
 * assert.equal(events[0].count, 3);
 * assert.equal(events[0].size, 13);
 * assert.equal(new TextDecoder().decode(events[0].bytes), "one two three");
 * ```
 */
export function groupChunks(events: DiagramEvent[], keep = 256): DiagramEvent[] {
  const out: DiagramEvent[] = [];
  for (const e of events) {
    const last = out.at(-1);
    if (
      last && isArrow(e) && last.kind === e.kind && last.on === e.on && last.peer === e.peer &&
      last.note === undefined && e.note === undefined
    ) {
      const head = last.bytes ?? new Uint8Array(0);
      const more = e.bytes ?? new Uint8Array(0);
      if (head.length < keep && more.length > 0) {
        const joined = new Uint8Array(Math.min(keep, head.length + more.length));
        joined.set(head.subarray(0, joined.length));
        joined.set(more.subarray(0, joined.length - head.length), head.length);
        last.bytes = joined;
      }
      last.size = eventSize(last) + eventSize(e);
      last.count = (last.count ?? 1) + (e.count ?? 1);
      continue;
    }
    out.push(isArrow(e) ? { ...e, size: eventSize(e) } : e);
  }
  return out;
}
