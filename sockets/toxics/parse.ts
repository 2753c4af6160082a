/**
 * The toxic grammar, one for the shell, the CLI and `sockit test --through`:
 *
 *     TYPE [ARG] [--option VALUE]… [--up|--down] [--toxicity P] [--as NAME]
 *
 * `latency 100ms --jitter 20ms --toxicity 0.5` is a latency toxic on both directions applied to
 * about half the connections. Durations are read by grammar/duration.ts (`20ms`, `1.5s`); byte
 * counts and rates take a unit: `B`, `KB`/`MB`/`GB` (powers of 1000, as toxiproxy counts) or
 * `KiB`/`MiB`/`GiB` (powers of 1024); a rate may end `/s` (`100KB/s`). Errors are one line
 * naming the toxic and the value, with the nearest word as a hint.
 *
 * @example Reading a toxic
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseToxic } from "./parse.ts";
 * const spec = parseToxic("latency 100ms --jitter 20ms --down --toxicity 0.5", "toxic");
 * assert.equal(spec.type, "latency");
 * assert.deepEqual(spec.args, { delay: 100, jitter: 20 });
 * assert.deepEqual(spec.directions, ["down"]);
 * assert.equal(spec.toxicity, 0.5);
 * assert.equal(parseToxic("bandwidth 100KB/s", "toxic").args.rate, 100_000);
 * assert.throws(() => parseToxic("latncy 1s", "toxic"), /unknown toxic "latncy"/);
 * ```
 *
 * @module
 */
import { formatDuration, parseDuration } from "../../grammar/duration.ts";
import { SockitError } from "../../grammar/errors.ts";
import { nearest } from "../../grammar/nearest.ts";
import { showValue } from "../../grammar/show_value.ts";
import type { ArgKind, Direction, ToxicType } from "./_toxic.ts";
import { bandwidth } from "./bandwidth.ts";
import { latency } from "./latency.ts";
import { limitData } from "./limit_data.ts";
import { resetPeer } from "./reset_peer.ts";
import { slicer } from "./slicer.ts";
import { slowClose } from "./slow_close.ts";
import { timeout } from "./timeout.ts";

/** Every toxic, in the order help lists them. */
export const TOXICS: readonly ToxicType[] = [
  latency,
  bandwidth,
  slicer,
  timeout,
  resetPeer,
  limitData,
  slowClose,
];

/**
 * A toxic as written: its type, its arguments, where and how often it applies.
 *
 * @example A bandwidth toxic's spec
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseToxic, type ToxicSpec } from "./parse.ts";
 * const spec: ToxicSpec = parseToxic("bandwidth 1MB/s --up", "toxic");
 * assert.deepEqual([spec.type, spec.args.rate, spec.directions], ["bandwidth", 1e6, ["up"]]);
 * ```
 */
export interface ToxicSpec {
  /** The toxic's type: `latency`. */
  type: string;
  /** Its arguments by name (ms, bytes, bytes per second), defaults filled in. */
  args: Record<string, number>;
  /** The directions it acts on: `up` (client to target), `down`, or both. */
  directions: Direction[];
  /** The fraction of connections it applies to, 0 to 1 (default 1). */
  toxicity: number;
  /** The name given with `--as`, if any. */
  name?: string;
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/**
 * Reads a byte count (`100`, `64KiB`, `1MB`) or, with `rate`, a rate (`100KB/s`, `1MiB/s`).
 *
 * @example Units
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAmount } from "./parse.ts";
 * assert.equal(parseAmount("1MB/s", "bandwidth", true), 1_000_000);
 * assert.equal(parseAmount("2KiB", "limit_data", false), 2048);
 * ```
 */
export function parseAmount(text: string, action: string, rate: boolean): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)(\/s)?$/i.exec(text);
  const unit = m ? (m[2] === "" ? 1 : UNITS[m[2].toLowerCase()]) : undefined;
  const value = m && unit !== undefined ? Number(m[1]) * unit : NaN;
  const whole = rate ? value > 0 : Number.isInteger(value);
  if (!m || unit === undefined || (m[3] && !rate) || !whole) {
    throw new SockitError(
      `Cannot ${action}: bad ${rate ? "rate" : "byte count"} ${showValue(text)}`,
      {
        code: "usage",
        hint: rate
          ? "use e.g. 100KB/s, 1MB/s or 1MiB/s (KB = 1000 bytes, KiB = 1024)"
          : "use e.g. 100, 64KiB or 1MB",
      },
    );
  }
  return rate ? value : Math.round(value);
}

function readArg(kind: ArgKind, text: string | undefined, action: string, what: string): number {
  if (text === undefined || text.startsWith("--")) {
    throw new SockitError(`Cannot ${action}: ${what} needs a value`, { code: "usage" });
  }
  if (kind === "duration") return parseDuration(text, action);
  return parseAmount(text, action, kind === "rate");
}

function usageHint(type: ToxicType): string {
  return `usage: ${type.usage} [--up|--down] [--toxicity P] [--as NAME]`;
}

/** The words of a toxic: a string is split at spaces. */
function wordsOf(input: string | readonly string[]): string[] {
  return typeof input === "string" ? input.trim().split(/\s+/).filter((w) => w !== "") : [...input];
}

/**
 * Parses one toxic (a string, or the words of one); `action` words the errors
 * (`Cannot toxic "r": …`).
 *
 * @example A string or its words
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseToxic } from "./parse.ts";
 * assert.deepEqual(parseToxic(["slicer", "--size", "1"], "toxic"), parseToxic("slicer --size 1", "toxic"));
 * assert.throws(() => parseToxic("latency soon", "toxic"), /latency/);
 * ```
 */
export function parseToxic(input: string | readonly string[], action: string): ToxicSpec {
  const words = wordsOf(input);
  const typeWord = words.shift();
  if (typeWord === undefined) {
    throw new SockitError(`Cannot ${action}: which toxic?`, {
      code: "usage",
      hint: `toxics: ${TOXICS.map((t) => t.name).join(", ")}`,
    });
  }
  const type = TOXICS.find((t) => t.name === typeWord.toLowerCase());
  if (!type) {
    const guess = nearest(typeWord, TOXICS.map((t) => t.name));
    throw new SockitError(`Cannot ${action}: unknown toxic ${showValue(typeWord)}`, {
      code: "usage",
      hint: guess ? `did you mean ${guess}?` : `toxics: ${TOXICS.map((t) => t.name).join(", ")}`,
    });
  }
  const act = `${action} ${type.name}`;
  const args: Record<string, number> = {};
  const directions = new Set<Direction>();
  let toxicity = 1;
  let name: string | undefined;
  let positional = false;
  while (words.length > 0) {
    let word = words.shift()!;
    if (!word.startsWith("--")) {
      if (!type.positional || positional) {
        throw new SockitError(`Cannot ${act}: unexpected ${showValue(word)}`, {
          code: "usage",
          hint: usageHint(type),
        });
      }
      args[type.positional.name] = readArg(type.positional.kind, word, act, type.positional.name);
      positional = true;
      continue;
    }
    let value: string | undefined;
    const eq = word.indexOf("=");
    if (eq > 0) {
      value = word.slice(eq + 1);
      word = word.slice(0, eq);
    }
    const option = word.slice(2);
    const take = () => value ?? words.shift();
    if (option === "up" || option === "down") {
      directions.add(option);
    } else if (option === "toxicity") {
      const text = take() ?? "";
      const p = text.endsWith("%") ? Number(text.slice(0, -1)) / 100 : Number(text);
      if (text === "" || !(p >= 0 && p <= 1)) {
        throw new SockitError(`Cannot ${act}: bad toxicity ${showValue(text)}`, {
          code: "usage",
          hint: "a fraction of connections from 0 to 1 (0.5 or 50%)",
        });
      }
      toxicity = p;
    } else if (option === "as") {
      const text = take();
      if (!text || !/^[A-Za-z_][\w.-]*$/.test(text)) {
        throw new SockitError(`Cannot ${act}: bad name ${showValue(text ?? "")}`, {
          code: "usage",
          hint: "--as NAME: letters, digits, _ . -",
        });
      }
      name = text;
    } else if (option in type.options) {
      args[option] = readArg(type.options[option].kind, take(), act, `--${option}`);
    } else {
      const known = [...Object.keys(type.options), "up", "down", "toxicity", "as"];
      const guess = nearest(option, known);
      throw new SockitError(`Cannot ${act}: unknown option --${option}`, {
        code: "usage",
        hint: guess ? `did you mean --${guess}?` : usageHint(type),
      });
    }
  }
  if (type.positional && !positional) {
    throw new SockitError(`Cannot ${act}: missing ${type.positional.name}`, {
      code: "usage",
      hint: usageHint(type),
    });
  }
  for (const option of type.required ?? []) {
    if (!(option in args)) {
      throw new SockitError(`Cannot ${act}: missing --${option}`, {
        code: "usage",
        hint: usageHint(type),
      });
    }
  }
  for (const [option, o] of Object.entries(type.options)) {
    if (!(option in args) && o.default !== undefined) args[option] = o.default;
  }
  return {
    type: type.name,
    args,
    directions: directions.size === 0 ? ["up", "down"] : [...directions],
    toxicity,
    name,
  };
}

/**
 * Parses toxics separated by `;` (`latency 50ms; slicer --size 1`), for `--through`.
 *
 * @example Two toxics
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseToxicList } from "./parse.ts";
 * const specs = parseToxicList("latency 50ms; slicer --size 1", "test --through");
 * assert.deepEqual(specs.map((s) => s.type), ["latency", "slicer"]);
 * ```
 */
export function parseToxicList(text: string, action: string): ToxicSpec[] {
  const parts = text.split(";").map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length === 0) {
    throw new SockitError(`Cannot ${action}: no toxic in ${showValue(text)}`, {
      code: "usage",
      hint: "e.g. 'latency 50ms; slicer --size 1'",
    });
  }
  return parts.map((p) => parseToxic(p, action));
}

/** The type of a spec. */
export function toxicType(spec: ToxicSpec): ToxicType {
  return TOXICS.find((t) => t.name === spec.type)!;
}

function showArg(kind: ArgKind, value: number): string {
  if (kind === "duration") return formatDuration(value);
  if (kind === "rate") return `${value}B/s`;
  return String(value);
}

/**
 * A spec written back as a toxic (without `--as`, with `--up`/`--down` when it is one way).
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatToxic, parseToxic } from "./parse.ts";
 * assert.equal(formatToxic(parseToxic("slicer --size 1 --up", "t")), "slicer --size 1 --variation 0 --delay 0ms --up");
 * ```
 */
export function formatToxic(spec: ToxicSpec): string {
  const type = toxicType(spec);
  const words = [type.name];
  if (type.positional) words.push(showArg(type.positional.kind, spec.args[type.positional.name]));
  for (const [option, o] of Object.entries(type.options)) {
    if (option in spec.args) words.push(`--${option}`, showArg(o.kind, spec.args[option]));
  }
  if (spec.directions.length === 1) words.push(`--${spec.directions[0]}`);
  if (spec.toxicity !== 1) words.push("--toxicity", String(spec.toxicity));
  return words.join(" ");
}
