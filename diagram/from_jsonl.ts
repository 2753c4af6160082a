/**
 * Reads a JSON Lines log (docs/log_format.md) into a {@link Diagram}: one lifeline per socket of
 * the log, and one per peer address that is no socket of the log; each socket's bytes go to the
 * socket at the other end of its connection (a shell talking to its own listener), to the
 * listener or server it dialled, or to the peer's address.
 *
 * @module
 */
import { SockitError } from "../grammar/errors.ts";
import { type Diagram, type DiagramEvent, type EventKind, Lifelines } from "./model.ts";

/** A data chunk keeps this many of its bytes for the preview; its size is kept apart. */
export const KEEP_BYTES = 256;

interface Opened {
  transport: string;
  role: string;
  local: string;
  remote: string;
}

type Rec = Record<string, unknown> & { socket: string; event: string; ts: number };

const fromBase64 = (Uint8Array as unknown as { fromBase64(s: string): Uint8Array }).fromBase64;

/** The first {@link KEEP_BYTES} bytes of a base64 string, decoding no more than those. */
function firstBytes(b64: string): Uint8Array {
  const head = b64.length > 344 ? b64.slice(0, 344) : b64;
  return fromBase64(head).subarray(0, KEEP_BYTES);
}

/**
 * Whether the text looks like a JSON Lines log: its first line is an object with an `event`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { looksLikeJsonl } from "./from_jsonl.ts";
 * assert.equal(looksLikeJsonl('{"ts":0,"socket":"a","event":"closed"}\n'), true);
 * assert.equal(looksLikeJsonl("open tcp a 127.0.0.1:7\n"), false);
 * ```
 */
export function looksLikeJsonl(text: string): boolean {
  const first = text.trimStart().split("\n", 1)[0];
  if (!first.startsWith("{")) return false;
  try {
    const o = JSON.parse(first);
    return typeof o === "object" && o !== null && typeof o.event === "string";
  } catch {
    return false;
  }
}

/** Parses the records, or a one-line error naming the file and line. */
function records(text: string, source: string): Rec[] {
  const out: Rec[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let o: Rec;
    try {
      o = JSON.parse(line);
    } catch {
      throw new SockitError(
        `Cannot diagram "${source}": line ${i + 1} is not JSON (${
          JSON.stringify(line.slice(0, 40))
        })`,
        { code: "malformed" },
      );
    }
    if (typeof o?.socket !== "string" || typeof o.event !== "string" || typeof o.ts !== "number") {
      throw new SockitError(
        `Cannot diagram "${source}": line ${i + 1} is no log record (needs socket, event, ts)`,
        { code: "malformed" },
      );
    }
    out.push(o);
  });
  return out;
}

/**
 * A diagram of a JSON Lines log.
 *
 * @example A client that said hello to a server outside the log
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromJsonl } from "./from_jsonl.ts";
 * const log = [
 *   '{"ts":0,"socket":"a","event":"open","transport":"tcp","role":"client","local":"127.0.0.1:5000","remote":"127.0.0.1:80"}',
 *   '{"ts":900,"socket":"a","event":"data","dir":"out","size":2,"bytes":"aGk="}',
 *   '{"ts":1500,"socket":"a","event":"closed"}',
 * ].join("\n");
 * const d = fromJsonl(log, "x.jsonl");
 * assert.deepEqual(d.lifelines.map((l) => l.label), ["a", "127.0.0.1:80"]);
 * assert.deepEqual(d.events.map((e) => e.kind), ["open", "send", "close"]);
 * assert.equal(d.events[1].peer, "peer:127.0.0.1:80");
 * ```
 */
export function fromJsonl(text: string, source: string): Diagram {
  const recs = records(text, source);
  const opened = new Map<string, Opened>();
  const acceptedChildren = new Set<string>();
  for (const r of recs) {
    if (r.event === "open" && !opened.has(r.socket)) {
      opened.set(r.socket, {
        transport: String(r.transport ?? ""),
        role: String(r.role ?? ""),
        local: String(r.local ?? "-"),
        remote: String(r.remote ?? "-"),
      });
    }
    if (r.event === "accepted" && typeof r.child === "string") acceptedChildren.add(r.child);
  }
  const lifelines = new Lifelines();
  const peers = new Map<string, string>();
  /** The lifeline of the address `addr` as seen from `self`: a socket of the log, or the peer. */
  const byAddress = (addr: string, self: string, selfLocal?: string): string => {
    let listener: string | undefined;
    for (const [name, o] of opened) {
      if (name === self || o.local !== addr) continue;
      if (selfLocal !== undefined && o.remote === selfLocal) return name;
      if (o.role === "listener" || o.role === "bound") listener ??= name;
    }
    if (listener) return listener;
    const id = `peer:${addr}`;
    lifelines.ensure(id, "peer", addr);
    return id;
  };
  const peerOf = (name: string): string | undefined => {
    const known = peers.get(name);
    if (known) return known;
    const o = opened.get(name);
    if (!o || o.remote === "-" || o.remote === "") return undefined;
    const peer = byAddress(o.remote, name, o.local);
    peers.set(name, peer);
    return peer;
  };
  /** A server's connection `room#3` is shown on its server's lifeline. */
  const lifelineOf = (name: string): string => {
    if (!opened.has(name)) {
      const m = /^(.+)#\d+$/.exec(name);
      if (m && opened.has(m[1])) return m[1];
    }
    const o = opened.get(name);
    const at = o && o.local !== "-" ? ` ${o.local}` : "";
    lifelines.ensure(name, o && `${o.transport} ${o.role}${at}`.trim());
    return name;
  };
  const events: DiagramEvent[] = [];
  const mark = (r: Rec, kind: EventKind, note?: string, peer?: string) => {
    const on = lifelineOf(r.socket);
    const e: DiagramEvent = { t: r.ts, kind, on };
    if (peer !== undefined) e.peer = peer;
    if (note !== undefined) e.note = note;
    if (on !== r.socket && kind !== "accept") e.note = `${r.socket} ${note ?? kind}`;
    events.push(e);
  };
  for (const r of recs) {
    lifelineOf(r.socket);
    switch (r.event) {
      case "open": {
        const o = opened.get(r.socket)!;
        if (o.role === "accepted" && acceptedChildren.has(r.socket)) {
          lifelineOf(r.socket);
          break;
        }
        const what = o.role === "listener"
          ? `listening ${o.transport} ${o.local}`
          : o.role === "client"
          ? `connect → ${o.remote}`
          : `${o.role} ${o.transport} ${o.local}`;
        const peer = o.role === "client" ? peerOf(r.socket) : undefined;
        mark(r, o.role === "accepted" ? "accept" : "open", what, peer);
        break;
      }
      case "accepted": {
        const child = String(r.child ?? "");
        const peer = opened.has(child) ? lifelineOf(child) : undefined;
        mark(r, "accept", `accepted ${child} from ${r.remote ?? "?"}`, peer);
        break;
      }
      case "data": {
        const on = lifelineOf(r.socket);
        const o = opened.get(r.socket);
        const peer = typeof r.peer === "string"
          ? byAddress(r.peer, r.socket, o?.local)
          : peerOf(r.socket) ?? byAddress("?", r.socket);
        const bytes = firstBytes(String(r.bytes ?? ""));
        const size = typeof r.size === "number" ? r.size : bytes.length;
        events.push({ t: r.ts, kind: r.dir === "in" ? "recv" : "send", on, peer, bytes, size });
        break;
      }
      case "shutdown":
        mark(r, "half-close", "shutdown (FIN)");
        break;
      case "peer-closed":
        mark(r, "peer-closed", "peer closed (FIN)");
        break;
      case "reset":
        mark(r, "reset", `reset: ${r.message ?? ""}`.trim());
        break;
      case "error":
        mark(r, r.code === "timeout" ? "timeout" : "error", String(r.message ?? "error"));
        break;
      case "closed":
        mark(r, "close", r.reason ? `closed: ${r.reason}` : "closed");
        break;
    }
  }
  return { source, kind: "jsonl", lifelines: lifelines.list(), events };
}
