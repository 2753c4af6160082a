/**
 * What every toxic is made of: its definition (name, arguments, toxiproxy's name for it), the
 * per-connection context it acts through, and a sleep that the connection's end cuts short.
 *
 * @module
 */
import type { Stage } from "../relay_pipe.ts";

/** Which way bytes flow: `up` is client to target, `down` target to client. */
export type Direction = "up" | "down";

/** What a toxic may do to the connection it runs on (given by the relay). */
export interface ConnectionControl {
  /** Aborted when the connection ends: pending sleeps and timers stop then. */
  readonly signal: AbortSignal;
  /** Stops forwarding: both sides' writing is shut (each peer reads what it got, then end of
   * stream) and the connection is closed once both ends are done (at most a second later). */
  close(why: string): void;
  /** An abortive close: the client gets a real RST (ECONNRESET); the target is closed. */
  reset(why: string): void;
  /** Counts `n` bytes a toxic dropped on purpose (the closed event says how many). */
  cut(n: number): void;
}

/** A toxic's view of its connection (its cuts also count on the toxic, for `ls`). */
export type ToxicContext = ConnectionControl;

/** One toxic on one direction of one connection: a Stage that may hold bytes. */
export interface ToxicRun extends Stage {
  /** Resolves once every byte handed to `data` so far was passed on (a latency's queue). */
  flush?(): Promise<void>;
}

/** The values a toxic's arguments are read as. */
export type ArgKind = "duration" | "bytes" | "rate";

/** A toxic type: how it is written and what it does. */
export interface ToxicType {
  /** The word that names it: `latency`. */
  name: string;
  /** How it is written: `latency D [--jitter D]`. */
  usage: string;
  /** What it does, in a few words (help and the README table). */
  summary: string;
  /** Toxiproxy's name for the same fault. */
  toxiproxy: string;
  /** Its one positional argument, if any: the name it is stored under and its kind. */
  positional?: { name: string; kind: ArgKind };
  /** Its `--options` and their kinds and defaults. */
  options: Record<string, { kind: ArgKind; default?: number }>;
  /** Options that must be given. */
  required?: string[];
  /** Makes its run on one direction of one connection. */
  create(args: Record<string, number>, ctx: ToxicContext): ToxicRun;
}

/** The error a sleep ends with when its connection ends first. */
export class ConnectionEnded extends Error {
  override name = "ConnectionEnded";
}

/**
 * Waits `ms`, or until `signal` aborts (then rejects with {@link ConnectionEnded}).
 *
 * @example A sleep cut short
 * ```ts
 * import assert from "node:assert/strict";
 * import { sleep } from "./_toxic.ts";
 * const stop = new AbortController();
 * const waiting = sleep(60_000, stop.signal);
 * stop.abort();
 * await assert.rejects(waiting, /connection ended/);
 * ```
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new ConnectionEnded("connection ended"));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ConnectionEnded("connection ended"));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Calls `fire` after `ms` unless `signal` aborts first.
 *
 * @example A timer the connection's end cancels
 * ```ts
 * import assert from "node:assert/strict";
 * import { after } from "./_toxic.ts";
 * const stop = new AbortController();
 * let fired = false;
 * after(60_000, stop.signal, () => fired = true);
 * stop.abort();
 * assert.equal(fired, false);
 * ```
 */
export function after(ms: number, signal: AbortSignal, fire: () => void): void {
  if (signal.aborted) return;
  const timer = setTimeout(() => {
    signal.removeEventListener("abort", onAbort);
    fire();
  }, Math.max(0, ms));
  const onAbort = () => clearTimeout(timer);
  signal.addEventListener("abort", onAbort, { once: true });
}
