import { formatDuration, parseDuration, parseTimeout } from "../grammar/duration.ts";
import { SockitError } from "../grammar/errors.ts";
import { nearest } from "../grammar/nearest.ts";
import type { DisplayMode } from "../grammar/render.ts";
import { parseInteger } from "./args.ts";
import type { Command, EventsMode, Settings, TimestampMode } from "./types.ts";

/** One setting: its values for help and completion, how it shows, how a value is taken. */
interface Setting {
  /** The values Tab offers, if it is a choice. */
  values?: readonly string[];
  /** What `set` shows. */
  show(settings: Settings): string;
  /** Checks and stores a value; throws a one-line SockitError for a bad one. */
  apply(settings: Settings, value: string): void;
}

/** Checks a value against a fixed list, suggesting the nearest. */
function choice<T extends string>(key: string, values: readonly T[], value: string): T {
  if (values.includes(value as T)) return value as T;
  const guess = nearest(value, values);
  throw new SockitError(`set ${key}: unknown value "${value}"`, {
    code: "usage",
    hint: guess ? `did you mean ${guess}? (${values.join(", ")})` : `use ${values.join(", ")}`,
  });
}

const DISPLAYS: readonly DisplayMode[] = ["auto", "text", "hex"];
const EVENTS: readonly EventsMode[] = ["all", "quiet", "off"];
const TIMESTAMPS: readonly TimestampMode[] = ["on", "relative", "off"];

/** Every setting `set` knows, by name. */
export const SETTINGS: ReadonlyMap<string, Setting> = new Map<string, Setting>([
  ["display", {
    values: DISPLAYS,
    show: (s) => s.display,
    apply: (s, v) => s.display = choice("display", DISPLAYS, v),
  }],
  ["timeout", {
    show: (s) => formatDuration(s.timeout),
    apply: (s, v) => s.timeout = parseTimeout(v, "set timeout"),
  }],
  ["send-timeout", {
    // How long send and sendline wait for a peer that does not read; none: until Ctrl-C.
    show: (s) => s.sendTimeout === undefined ? "none" : formatDuration(s.sendTimeout),
    apply: (s, v) =>
      s.sendTimeout = v === "none" ? undefined : parseDuration(v, "set send-timeout"),
  }],
  ["display-limit", {
    show: (s) => s.displayLimit === 0 ? "0 (no limit)" : `${s.displayLimit} bytes`,
    apply: (s, v) => s.displayLimit = parseInteger(v, "set display-limit"),
  }],
  ["events", {
    values: EVENTS,
    show: (s) => s.events,
    apply: (s, v) => s.events = choice("events", EVENTS, v),
  }],
  ["timestamps", {
    values: TIMESTAMPS,
    show: (s) => s.timestamps ?? "off",
    apply: (s, v) => s.timestamps = choice("timestamps", TIMESTAMPS, v),
  }],
]);

/** `set [KEY VALUE]`: shows or changes a setting. */
export const set: Command = {
  name: "set",
  usage: "set [KEY VALUE]: display auto|text|hex, timeout D|none, send-timeout D|none, " +
    "display-limit BYTES, events all|quiet|off, timestamps on|relative|off",
  summary: "show or change settings: display, timeouts, display-limit, events, timestamps",
  details: "  display        how received bytes show: auto (text when printable), text or hex\n" +
    "  timeout        the default deadline of recv…, expect, accept and open (none: no limit)\n" +
    "  send-timeout   the default --timeout of send and sendline (default none: flow control\n" +
    "                 may hold a send as long as the peer does not read; Ctrl-C ends it)\n" +
    "  display-limit  on a terminal, show at most this many received bytes per result\n" +
    "                 (default 4096, 0 for no limit); --all on a recv shows everything\n" +
    "  events         which socket events the shell prints above the prompt: all;\n" +
    '                 quiet (no "bytes waiting": only accepted, peer closed, errors, closed);\n' +
    "                 off (none)\n" +
    "  timestamps     prefix events and received data with the time: on (wall clock,\n" +
    "                 HH:MM:SS.mmm), relative (+seconds since the shell started) or off",
  args: ["setting", "none"],
  maxArgs: 2,
  run(ctx, args) {
    const [key, value] = args.positional.map((t) => t.text);
    if (key === undefined) {
      return Promise.resolve({
        kind: "table",
        columns: ["setting", "value"],
        rows: [...SETTINGS].map(([name, s]) => [name, s.show(ctx.settings)]),
      });
    }
    const setting = SETTINGS.get(key);
    if (!setting) {
      const guess = nearest(key, SETTINGS.keys());
      throw new SockitError(`set: unknown setting "${key}"`, {
        code: "usage",
        hint: guess ? `did you mean ${guess}?` : `settings: ${[...SETTINGS.keys()].join(", ")}`,
      });
    }
    if (value === undefined) {
      throw new SockitError(`set ${key}: missing value`, { code: "usage" });
    }
    setting.apply(ctx.settings, value);
    return Promise.resolve({ kind: "message", text: `${key} = ${value}` });
  },
};
