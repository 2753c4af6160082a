/**
 * Templates: observation lines with `${NAME}` variables, `${*}` wildcards and
 * `${NAME:REGEX}` captures, and the reverse direction a recorder needs (turn known values such
 * as ephemeral addresses back into variables).
 *
 * @example Matching a line with a variable and a capture
 * ```ts
 * import { generalize, matchTemplate, parseTemplate } from "./template.ts";
 * import assert from "node:assert/strict";
 *
 * const t = parseTemplate("a  open  tcp ${a.local} → ${peer:*}");
 * const vars = new Map([["a.local", "127.0.0.1:5000"]]);
 * const captured = matchTemplate(t, "a  open  tcp 127.0.0.1:5000 → 127.0.0.1:9", (n) => vars.get(n));
 * assert.deepEqual(captured, new Map([["peer", "127.0.0.1:9"]]));
 * assert.equal(generalize("to 127.0.0.1:5000", [["127.0.0.1:5000", "a.local"]]), "to ${a.local}");
 * ```
 *
 * @module
 */

import type { Template, TemplatePart } from "./format.ts";
import { escapeRegExp, VAR_NAME } from "./_private.ts";

/** A template or command problem at a 0-based column. */
export class TemplateError extends Error {
  /** 0-based column in the text given. */
  readonly column: number;
  /** A hint for the person fixing the script. */
  readonly hint?: string;
  constructor(message: string, column: number, hint?: string) {
    super(message);
    this.column = column;
    this.hint = hint;
  }
}

/** Index of the `}` closing the `${` at `open`, allowing balanced braces and `\` escapes. */
export function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open + 2; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === "{") depth++;
    else if (c === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/**
 * Parses a template: `$${` is a literal `${`; `${NAME}` a variable; `${*}` any text;
 * `${NAME:REGEX}`, `${:REGEX}` and `${NAME:*}` captures. Throws a {@linkcode TemplateError}
 * with the column of the problem. `allowPatterns: false` (command lines) accepts variables only.
 */
export function parseTemplate(text: string, allowPatterns = true): Template {
  const parts: TemplatePart[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i)) {
      literal += "${";
      i += 3;
      continue;
    }
    if (!text.startsWith("${", i)) {
      literal += text[i++];
      continue;
    }
    const end = closingBrace(text, i);
    if (end < 0) {
      throw new TemplateError(
        "unterminated ${",
        i,
        "close it with }, or write $${ for a literal ${",
      );
    }
    const body = text.slice(i + 2, end);
    if (literal) parts.push({ kind: "text", text: literal });
    literal = "";
    const colon = body.indexOf(":");
    if (body === "*" || colon >= 0) {
      if (!allowPatterns) {
        throw new TemplateError(
          `wildcards and captures are for observations, not commands: \${${body}}`,
          i,
          "commands may use ${NAME} only",
        );
      }
      const name = colon >= 0 ? body.slice(0, colon) : "";
      const pattern = colon >= 0 ? body.slice(colon + 1) : "*";
      if (name && !VAR_NAME.test(name)) {
        throw new TemplateError(
          `bad capture name "${name}"`,
          i + 2,
          "names look like port or srv_1",
        );
      }
      const source = pattern === "*" ? ".*?" : pattern;
      try {
        new RegExp(source);
      } catch (error) {
        throw new TemplateError(
          `bad regex ${pattern}: ${(error as Error).message}`,
          i + 2 + colon + 1,
          "captures look like ${port:\\d+}",
        );
      }
      parts.push({ kind: "pattern", name: name || undefined, source });
    } else {
      if (!VAR_NAME.test(body)) {
        throw new TemplateError(
          `bad variable \${${body}}`,
          i,
          "write ${NAME}, ${*}, ${NAME:REGEX}, or $${ for a literal ${",
        );
      }
      parts.push({ kind: "var", name: body, column: i });
    }
    i = end + 1;
  }
  if (literal) parts.push({ kind: "text", text: literal });
  return { source: text, parts };
}

/** Looks up a variable's value; undefined when it is not defined. */
export type Lookup = (name: string) => string | undefined;

/** Variables a template uses, with their 0-based columns. */
export function templateVars(template: Template): { name: string; column: number }[] {
  return template.parts.flatMap((p) =>
    p.kind === "var" ? [{ name: p.name, column: p.column }] : []
  );
}

/** Names a template captures. */
export function templateCaptures(template: Template): string[] {
  return template.parts.flatMap((p) => p.kind === "pattern" && p.name ? [p.name] : []);
}

/** A variable the script uses but has no value at run time. */
export class UndefinedVariable extends Error {
  /** The variable's name. */
  readonly variable: string;
  constructor(name: string) {
    super(`undefined variable \${${name}}`);
    this.variable = name;
  }
}

/** Text with every run of white space as one space. */
function squash(text: string): string {
  return text.replace(/\s+/g, " ");
}

/** Literal text as a regex in which every run of spaces matches any run of spaces. */
function spaced(text: string): string {
  return text.split(/\s+/).map(escapeRegExp).join("\\s+");
}

/**
 * Matches a whole line against a template (a run of spaces matches any run of spaces, so
 * table columns may shift as values change length); returns the captured values (possibly empty), or
 * undefined when the line does not match. Throws {@linkcode UndefinedVariable}.
 */
export function matchTemplate(
  template: Template,
  line: string,
  lookup: Lookup,
): Map<string, string> | undefined {
  // Most lines have no wildcard or capture: compare text, no regex needed.
  if (template.parts.every((p) => p.kind !== "pattern")) {
    let expected = "";
    for (const part of template.parts) {
      if (part.kind === "text") expected += part.text;
      else if (part.kind === "var") {
        const value = lookup(part.name);
        if (value === undefined) throw new UndefinedVariable(part.name);
        expected += value;
      }
    }
    return expected === line || squash(expected) === squash(line) ? new Map() : undefined;
  }
  const names: string[] = [];
  let source = "^";
  const local = new Map<string, string>();
  for (const part of template.parts) {
    if (part.kind === "text") source += spaced(part.text);
    else if (part.kind === "var") {
      const value = lookup(part.name);
      if (value === undefined) throw new UndefinedVariable(part.name);
      source += spaced(value);
    } else {
      source += `(${part.source})`;
      names.push(part.name ?? "");
      // Count the user's own groups so our group numbers stay right.
      const inner = new RegExp(`${part.source}|`).exec("")!.length - 1;
      for (let k = 0; k < inner; k++) names.push("");
    }
  }
  const m = new RegExp(source + "$", "s").exec(line);
  if (!m) return undefined;
  names.forEach((name, k) => {
    if (name) local.set(name, m[k + 1] ?? "");
  });
  return local;
}

/** Substitutes `${NAME}` in a command line and turns `$${` into `${`. */
export function substitute(template: Template, lookup: Lookup): string {
  let out = "";
  for (const part of template.parts) {
    if (part.kind === "text") out += part.text;
    else if (part.kind === "var") {
      const value = lookup(part.name);
      if (value === undefined) throw new UndefinedVariable(part.name);
      out += value;
    } else throw new Error("patterns are not allowed in commands");
  }
  return out;
}

/** Escapes literal text so that it reads back unchanged as a template (`${` → `$${`). */
export function escapeTemplate(text: string): string {
  return text.replaceAll("${", () => "$${"); // a function: in a replacement string "$$" is "$"
}

/**
 * Turns literal text into a template by replacing known values (addresses such as
 * `127.0.0.1:40211`) with the variables that hold them. Values are matched whole: not inside a
 * longer number or address (a transport's prefix, as in a relay's `tcp:127.0.0.1:40211`, is no
 * part of the address). The first name given for a value wins.
 *
 * @example A relay's target, with its transport's prefix
 * ```ts
 * import assert from "node:assert/strict";
 * import { generalize } from "./template.ts";
 * const vars: [string, string][] = [["127.0.0.1:4000", "e.local"]];
 * assert.equal(generalize("relay to tcp:127.0.0.1:4000", vars), "relay to tcp:${e.local}");
 * assert.equal(generalize("10.127.0.0.1:4000 x:127.0.0.1:4000", vars), "10.127.0.0.1:4000 x:127.0.0.1:4000");
 * ```
 */
export function generalize(text: string, vars: [value: string, name: string][]): string {
  const escaped = escapeTemplate(text);
  const byValue = new Map<string, string>();
  for (const [value, name] of vars) {
    if (value && value !== "-" && !byValue.has(value)) byValue.set(value, name);
  }
  if (byValue.size === 0) return escaped;
  const values = [...byValue.keys()].sort((a, b) => b.length - a.length);
  const re = new RegExp(
    `(?:(?<![\\w.:\\[])|(?<=(?:^|[^\\w.:])(?:tcp|tls|udp|ws|wss):))` +
      `(?:${values.map(escapeRegExp).join("|")})(?![\\w.:\\]])`,
    "g",
  );
  return escaped.replace(re, (value) => `\${${byValue.get(value)}}`);
}
