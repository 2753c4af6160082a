import { parseDuration, parseTimeout } from "../grammar/duration.ts";
import { SockitError } from "../grammar/errors.ts";
import { nearest } from "../grammar/nearest.ts";
import type { DisplayMode } from "../grammar/render.ts";
import type { Command } from "./types.ts";
import { formatDuration } from "../grammar/duration.ts";

const DISPLAYS: DisplayMode[] = ["auto", "text", "hex"];

/** `set [KEY VALUE]`: shows or changes a setting. */
export const set: Command = {
  name: "set",
  usage: "set [display auto|text|hex] [timeout DURATION|none] [send-timeout DURATION|none]",
  summary: "show or change settings: how bytes display, the default timeouts",
  args: ["setting", "none"],
  maxArgs: 2,
  run(ctx, args) {
    const [key, value] = args.positional.map((t) => t.text);
    if (key === undefined) {
      return Promise.resolve({
        kind: "table",
        columns: ["setting", "value"],
        rows: [["display", ctx.settings.display], [
          "timeout",
          formatDuration(ctx.settings.timeout),
        ], [
          "send-timeout",
          ctx.settings.sendTimeout === undefined
            ? "none"
            : formatDuration(ctx.settings.sendTimeout),
        ]],
      });
    }
    if (value === undefined) throw new SockitError(`set ${key}: missing value`, { code: "usage" });
    if (key === "display") {
      if (!DISPLAYS.includes(value as DisplayMode)) {
        throw new SockitError(`set display: unknown mode "${value}"`, {
          code: "usage",
          hint: "use auto, text or hex",
        });
      }
      ctx.settings.display = value as DisplayMode;
    } else if (key === "timeout") {
      ctx.settings.timeout = parseTimeout(value, "set timeout");
    } else if (key === "send-timeout") {
      // How long send and sendline wait for a peer that does not read; none: until Ctrl-C.
      ctx.settings.sendTimeout = value === "none"
        ? undefined
        : parseDuration(value, "set send-timeout");
    } else {
      const guess = nearest(key, ["display", "timeout", "send-timeout"]);
      throw new SockitError(`set: unknown setting "${key}"`, {
        code: "usage",
        hint: guess ? `did you mean ${guess}?` : "settings: display, timeout, send-timeout",
      });
    }
    return Promise.resolve({ kind: "message", text: `${key} = ${value}` });
  },
};
