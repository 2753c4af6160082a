import { SockitError } from "../grammar/errors.ts";
import { nearest } from "../grammar/nearest.ts";
import { RelaySocket } from "../sockets/relay.ts";
import { parseToxic, TOXICS } from "../sockets/toxics/parse.ts";
import type { ToxicSet } from "../sockets/toxics/toxics.ts";
import type { Command, CommandContext } from "./types.ts";

const ACTIONS = ["add", "ls", "rm", "clear"];

/** The toxics of relay `name`, or a one-line error. */
function toxicsOf(ctx: CommandContext, name: string): ToxicSet {
  const action = `toxic "${name}"`;
  const socket = ctx.registry.get(name, action);
  if (!(socket instanceof RelaySocket)) {
    throw new SockitError(`Cannot ${action}: "${name}" is not a relay`, {
      code: "wrong-kind",
      hint: "toxics sit on a relay: relay NAME LISTEN TARGET, then toxic NAME add …",
    });
  }
  if (!socket.relay.toxics) {
    throw new SockitError(`Cannot ${action}: "${name}" is a udp relay; toxics are for streams`, {
      code: "wrong-kind",
    });
  }
  return socket.relay.toxics;
}

/**
 * `toxic NAME add TYPE ARGS…`, `toxic NAME ls`, `toxic NAME rm T`, `toxic NAME clear`: faults on
 * purpose on a relay, changed while traffic flows (see sockets/toxics/).
 */
export const toxic: Command = {
  name: "toxic",
  usage: "toxic NAME add TYPE [ARGS…] [--up|--down] [--toxicity P] [--as T] | ls | rm T | clear",
  summary: "add, list or remove faults on purpose (latency, bandwidth, resets…) on a relay",
  details: "NAME is a relay. Toxics act on every connection, in the order added, on both\n" +
    "directions unless --up (client to target) or --down (target to client) says one.\n" +
    "--toxicity P (0 to 1): the fraction of connections a toxic applies to, decided once per\n" +
    "connection. Added or removed while traffic flows: a new toxic applies to the next bytes;\n" +
    "a removed one first passes on what it holds. Byte order is always kept; only limit_data,\n" +
    "timeout and reset_peer cut, and ls and the closed events say how many bytes.\n" +
    "Toxics:\n" +
    TOXICS.map((t) => `  ${t.usage.padEnd(44)} ${t.summary}`).join("\n") +
    "\nDurations: 20ms, 1.5s; sizes and rates: B, KB, MB (1000s), KiB, MiB (1024s), 100KB/s.\n" +
    "A reset sends the client a real TCP RST (the relay accepts through node:net).\n" +
    "Examples:\n  relay r :0 127.0.0.1:6379\n  toxic r add latency 100ms --jitter 20ms\n" +
    "  toxic r add bandwidth 100KB/s --down\n  toxic r add slicer --size 1 --delay 5ms --up\n" +
    "  toxic r add reset_peer --after 2s --toxicity 0.5 --as flaky\n  toxic r ls\n" +
    "  toxic r rm flaky\n  toxic r clear",
  args: ["socket", "none"],
  minArgs: 2,
  // After `add`, everything is the toxic's own: `--size`, `--up`, `--toxicity`, `--as`.
  optionsEnd: 1,
  script: { socket: 0 },
  run(ctx, args) {
    const [name, action, ...rest] = args.positional.map((t) => t.text);
    const act = `toxic "${name}"`;
    const toxics = toxicsOf(ctx, name);
    switch (action) {
      case "add": {
        const info = toxics.add(parseToxic(rest, act), act);
        return Promise.resolve({
          kind: "message",
          text: `${name}: added ${info.name}: ${info.text}`,
        });
      }
      case "ls": {
        const rows = toxics.list().map((t) => [
          t.name,
          t.text,
          `${t.applied}/${t.applied + t.spared}`,
          String(t.cut),
          String(t.closed),
        ]);
        if (rows.length === 0) {
          return Promise.resolve({ kind: "message", text: `${name}: no toxics` });
        }
        return Promise.resolve({
          kind: "table",
          columns: ["toxic", "what", "applied", "cut", "closed"],
          rows,
          counts: [3],
        });
      }
      case "rm": {
        if (rest.length !== 1) {
          throw new SockitError(`Cannot ${act} rm: say which toxic`, {
            code: "usage",
            hint: `toxic ${name} rm T (toxic ${name} ls lists them)`,
          });
        }
        const info = toxics.remove(rest[0], act);
        return Promise.resolve({ kind: "message", text: `${name}: removed ${info.name}` });
      }
      case "clear": {
        const n = toxics.clear();
        return Promise.resolve({
          kind: "message",
          text: `${name}: removed ${n} toxic${n === 1 ? "" : "s"}`,
        });
      }
    }
    const guess = nearest(action, ACTIONS);
    throw new SockitError(`Cannot ${act}: unknown action "${action}"`, {
      code: "usage",
      hint: guess ? `did you mean ${guess}?` : `toxic ${name} add|ls|rm|clear`,
    });
  },
};
