/**
 * Reads a recorded script (docs/scripts.md) into a {@link Diagram}. A script has no clock: rows
 * follow its lines. Sockets it opens, listens on or serves are lifelines; a connection to one of
 * its own listeners (`open tcp a ${srv.local}`) is the listener's next child (`srv.1`, `srv.2`,
 * in order), any other address a peer lifeline. Sends are what `send`, `sendline`, `sendto`,
 * `sendafter`… wrote (their payload as parsed, `@file` by name); received chunks are the bytes a
 * read observed; a read that timed out, met the end of the stream or a reset is a marker.
 *
 * @module
 */
import { parseScript } from "../session/parse.ts";
import type { Step } from "../session/format.ts";
import { parsePayload } from "../grammar/payload.ts";
import { concatBytes } from "../grammar/bytes.ts";
import { type Diagram, type DiagramEvent, type EventKind, Lifelines } from "./model.ts";

interface Known {
  /** listener (children NAME.N), server (a built-in server, a relay), or a connection. */
  role: "listener" | "server" | "socket";
  /** The address as written. */
  address: string;
  /** The other end, for connections. */
  peer?: string;
  /** Children handed out so far (listeners). */
  children: number;
}

/** Socket names that `${NAME.local}` and friends in a template refer to. */
function referenced(text: string): string[] {
  return [...text.matchAll(/\$\{([^}:]+)\.(?:local|port|host|remote)\}/g)].map((m) => m[1]);
}

const globRe = (glob: string) =>
  new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);

/** What an error observation on a read means for the diagram. */
function errorKind(message: string): EventKind {
  if (/timed out/.test(message)) return "timeout";
  if (/end of stream|peer closed/.test(message)) return "peer-closed";
  if (/reset/.test(message)) return "reset";
  return "error";
}

/**
 * A diagram of a recorded script.
 *
 * @example A client talking to the script's own listener
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromScript } from "./from_script.ts";
 * const d = fromScript([
 *   "listen tcp srv :0",
 *   "open tcp a ${srv.local}",
 *   "sendline a hello",
 *   "recv srv.1",
 *   '  "hello\\n"',
 *   "recv a --timeout 50ms",
 *   '  ! Cannot recv from "a": timed out after 50ms (nothing buffered)',
 * ].join("\n") + "\n", "echo.sockit");
 * assert.deepEqual(d.lifelines.map((l) => l.id), ["srv", "a", "srv.1"]);
 * assert.deepEqual(
 *   d.events.map((e) => `${e.kind} ${e.on}${e.peer ? ">" + e.peer : ""}`),
 *   ["open srv", "open a>srv.1", "accept srv>srv.1", "send a>srv.1", "recv srv.1>a", "timeout a"],
 * );
 * ```
 */
export function fromScript(text: string, source: string): Diagram {
  const script = parseScript(text, source);
  const lifelines = new Lifelines();
  const known = new Map<string, Known>();
  const events: DiagramEvent[] = [];
  const push = (step: Step, e: Omit<DiagramEvent, "line">) =>
    events.push({ line: step.line, ...e });

  /** The lifeline an address names: one of the script's sockets (a child of a listener), or a peer. */
  const target = (written: string, from?: string): string => {
    // A capture (`${peer:\d+}`) names the same peer as the variable it defines (`${peer}`).
    const address = written.replace(/\$\{([A-Za-z_][\w.-]*):[^}]*\}/g, "$${$1}");
    const named = referenced(address).find((n) => known.has(n));
    const hit = named ??
      [...known].find(([, k]) => k.role !== "socket" && k.address === address)?.[0];
    const k = hit === undefined ? undefined : known.get(hit);
    if (hit === undefined || !k) {
      const id = `peer:${address}`;
      lifelines.ensure(id, "peer", address);
      return id;
    }
    if (k.role !== "listener") return hit;
    const child = `${hit}.${++k.children}`;
    known.set(child, { role: "socket", address: k.address, peer: from, children: 0 });
    lifelines.ensure(child, "accepted");
    return child;
  };
  /** The other end of a socket: known, or a peer lifeline of its own. */
  const peerOf = (name: string): string => {
    const k = known.get(name);
    if (k?.peer) return k.peer;
    const id = `peer:${name}`;
    lifelines.ensure(id, "peer", `peer of ${name}`);
    if (k) k.peer = id;
    else known.set(name, { role: "socket", address: "", peer: id, children: 0 });
    return id;
  };
  /** Sockets a name or glob stands for; a child of a listener is made a lifeline on first use. */
  const socketsOf = (name: string): string[] => {
    if (name.includes("*")) {
      const re = globRe(name);
      return [...known.keys()].filter((n) => re.test(n) && known.get(n)!.role === "socket");
    }
    lifelines.ensure(name);
    return [name];
  };

  for (const step of script.steps) {
    const spec = step.call.command.script ?? {};
    const positional = step.call.args.positional;
    const expect = step.expect;
    const failed = expect?.kind === "error" ? expect.template.source : undefined;
    if (spec.unrecorded) continue;
    if (spec.defines !== undefined && positional[spec.defines]) {
      const name = positional[spec.defines].text;
      const transport = spec.transport === undefined ? "" : positional[spec.transport]?.text ?? "";
      const address = positional[spec.defines + 1]?.text ?? "";
      if (failed) {
        lifelines.ensure(name, transport);
        push(step, { kind: errorKind(failed), on: name, note: failed });
        continue;
      }
      if (spec.binds) {
        const role = spec.children ? "listener" : "server";
        lifelines.ensure(name, `${transport} ${role}`.trim());
        known.set(name, { role, address, children: 0 });
        const what = step.name === "serve" ? `serving ${positional[0]?.text}` : "listening";
        push(step, { kind: "open", on: name, note: `${what} ${transport} ${address}`.trim() });
      } else {
        lifelines.ensure(name, `${transport} client`.trim());
        const peer = target(address, name);
        known.set(name, { role: "socket", address, peer, children: 0 });
        push(step, { kind: "open", on: name, peer, note: `${transport} → ${address}`.trim() });
        const listener = /^(.+)\.\d+$/.exec(peer)?.[1];
        if (listener && known.get(listener)?.role === "listener") {
          push(step, { kind: "accept", on: listener, peer, note: `accepted ${peer}` });
        }
      }
      continue;
    }
    const at = positional[spec.socket ?? 0]?.text;
    if (at === undefined) continue;
    if (spec.closes) {
      for (const token of positional) {
        for (const name of socketsOf(token.text)) {
          const kind = failed ? "error" : step.name === "shutdown" ? "half-close" : "close";
          const note = failed ?? (kind === "close" ? "closed" : "shutdown (FIN)");
          push(step, { kind, on: name, note });
        }
      }
      continue;
    }
    if (spec.reads) {
      for (const name of socketsOf(at)) {
        if (failed) {
          push(step, { kind: errorKind(failed), on: name, note: failed });
          continue;
        }
        if (!expect || expect.kind === "text" || expect.kind === "error") continue;
        const from = expect.from ? target(expect.from.source, name) : peerOf(name);
        if (expect.matched?.text === "timeout") {
          push(step, { kind: "timeout", on: name, note: `${step.name}: timeout` });
          continue;
        }
        if (expect.kind === "regex") {
          push(step, { kind: "recv", on: name, peer: from, note: expect.source });
        } else if (expect.file) {
          push(step, { kind: "recv", on: name, peer: from, note: `@${expect.file.source}` });
        } else if (expect.bytes.length > 0) {
          push(step, { kind: "recv", on: name, peer: from, bytes: expect.bytes });
        } else if (expect.matched?.text === "eof") {
          push(step, { kind: "peer-closed", on: name, note: "end of stream" });
        }
      }
    }
    if (spec.sends) {
      const tokens = positional.slice(spec.sends.payload);
      let bytes: Uint8Array | undefined;
      let note: string | undefined;
      try {
        const parts = parsePayload(tokens);
        const suffix = spec.sends.suffix?.(step.call.args);
        if (suffix) parts.push({ kind: "bytes", bytes: suffix });
        if (parts.some((p) => p.kind === "file")) {
          note = parts.map((p) => p.kind === "file" ? `@${p.path}` : "…").join(" ");
        } else {bytes = concatBytes(parts.map((p) =>
            p.kind === "bytes" ? p.bytes : new Uint8Array(0)
          ));}
      } catch {
        note = tokens.map((t) => t.text).join(" ");
      }
      for (const name of socketsOf(at)) {
        if (failed && !spec.reads) {
          push(step, { kind: errorKind(failed), on: name, note: failed });
          continue;
        }
        if (failed) continue;
        const to = spec.address !== undefined && positional[spec.address]
          ? target(positional[spec.address].text, name)
          : peerOf(name);
        push(step, { kind: "send", on: name, peer: to, bytes, note });
      }
    }
  }
  return { source, kind: "script", lifelines: lifelines.list(), events };
}
