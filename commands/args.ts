import { showValue } from "../grammar/show_value.ts";
import { parseTimeout } from "../grammar/duration.ts";
import { SockitError } from "../grammar/errors.ts";
import { nearest } from "../grammar/nearest.ts";
import type { Token } from "../grammar/tokenize.ts";
import type { Args, Command } from "./types.ts";

/**
 * Splits a command's tokens into positional arguments and `--options`. An option is a bare
 * token starting with `--`; a value follows it (`--timeout 2s`) or is glued with `=`
 * (`--timeout=2s`). A bare `--` ends options, so `send a -- --literal` sends `--literal`.
 */
export function parseArgs(command: Command, tokens: Token[], line: string): Args {
  const positional: Token[] = [];
  const options: Args["options"] = {};
  const specs = new Map((command.options ?? []).map((o) => [o.name, o]));
  let i = 0;
  let optionsEnded = false;
  while (i < tokens.length) {
    const t = tokens[i++];
    if (command.optionsEnd !== undefined && positional.length > command.optionsEnd) {
      optionsEnded = true;
    }
    if (optionsEnded || t.quoted || !t.text.startsWith("--") || t.text === "--") {
      if (!optionsEnded && !t.quoted && t.text === "--") optionsEnded = true;
      else positional.push(t);
      continue;
    }
    const eq = t.text.indexOf("=");
    const name = eq < 0 ? t.text.slice(2) : t.text.slice(2, eq);
    const spec = specs.get(name);
    if (!spec) {
      const guess = nearest(name, specs.keys());
      throw new SockitError(`${command.name}: unknown option ${showValue(`--${name}`)}`, {
        code: "usage",
        hint: guess ? `did you mean --${guess}?` : `help ${command.name} lists its options`,
      });
    }
    if (spec.type === "flag") {
      if (eq >= 0) {
        throw new SockitError(`${command.name}: option ${showValue(`--${name}`)} takes no value`, {
          code: "usage",
        });
      }
      options[name] = true;
      continue;
    }
    let raw: string;
    if (eq >= 0) raw = t.text.slice(eq + 1);
    else if (i < tokens.length) raw = tokens[i++].text;
    else {throw new SockitError(`${command.name}: option ${showValue(`--${name}`)} needs a value`, {
        code: "usage",
      });}
    let value: string | number;
    if (spec.type === "duration") value = parseTimeout(raw, `${command.name} --${name}`);
    else if (spec.type === "integer") value = parseInteger(raw, `${command.name} --${name}`);
    else value = raw;
    if (spec.repeat) {
      const list = (options[name] as string[] | undefined) ?? [];
      list.push(String(value));
      options[name] = list;
    } else options[name] = value;
  }
  if (command.minArgs !== undefined && positional.length < command.minArgs) {
    throw new SockitError(`${command.name}: missing arguments`, {
      code: "usage",
      hint: `usage: ${command.usage}`,
    });
  }
  if (command.maxArgs !== undefined && positional.length > command.maxArgs) {
    const extra = positional[command.maxArgs];
    throw new SockitError(`${command.name}: unexpected argument ${showValue(extra.text)}`, {
      code: "usage",
      hint: `usage: ${command.usage}`,
    });
  }
  return { positional, options, line };
}

/**
 * Parses a whole number of at least `min` (default 0), naming the action in the error:
 * `recv MAX: "-5" must be a positive whole number`.
 */
export function parseInteger(text: string, action: string, min = 0): number {
  const wanted = min === 1
    ? "a positive whole number"
    : min === 0
    ? "a whole number, 0 or more"
    : `a whole number, ${min} or more`;
  if (/^-\d+$/.test(text) || (/^\d+$/.test(text) && Number(text) < min)) {
    throw new SockitError(`${action}: "${text}" must be ${wanted}`, { code: "usage" });
  }
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new SockitError(`${action}: ${showValue(text)} is not ${wanted}`, { code: "usage" });
  }
  return Number(text);
}
