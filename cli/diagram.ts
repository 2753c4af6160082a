/**
 * `sockit diagram FILE [--out OUT.html|OUT.svg|-]`: a message sequence chart of a recorded
 * script, a JSON Lines log or a pcap (the kind is told from the content), written as a
 * self-contained HTML page (default: FILE with `.html`, next to it) or an SVG, by the out
 * file's extension; `--out -` writes to stdout.
 *
 * @module
 */
import type { Command } from "commander";
import { extname } from "node:path";
import process from "node:process";
import { EXIT_OUTPUT_CLOSED } from "../shell/exit_codes.ts";
import { SockitError, systemErrorCode, systemReason } from "../grammar/errors.ts";
import { plural } from "../grammar/plural.ts";
import { readDiagram } from "../diagram/detect.ts";
import { toHtml } from "../diagram/html.ts";
import { isArrow } from "../diagram/model.ts";
import { toSvg } from "../diagram/svg.ts";

/** The output formats. */
const FORMATS = ["html", "svg"] as const;
type Format = typeof FORMATS[number];

/**
 * Where the chart of `file` goes by default: the same name with `.html`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultOut } from "./diagram.ts";
 * assert.equal(defaultOut("logs/chat.jsonl"), "logs/chat.html");
 * assert.equal(defaultOut("session"), "session.html");
 * assert.equal(defaultOut("page.html"), "page.html.html");
 * ```
 */
export function defaultOut(file: string): string {
  const ext = extname(file);
  const base = ext && ext !== file ? file.slice(0, -ext.length) : file;
  const out = `${base}.html`;
  return out === file ? `${file}.html` : out;
}

/** The format an `--out` path or `--format` asks for; a one-line error for anything else. */
function formatOf(out: string, given?: string): Format {
  const word = given ?? (out === "-" ? "html" : extname(out).slice(1).toLowerCase());
  if ((FORMATS as readonly string[]).includes(word)) return word as Format;
  throw new SockitError(
    given === undefined
      ? `Cannot diagram to "${out}": write .html or .svg`
      : `Cannot diagram: unknown format "${given}"`,
    { code: "usage", hint: "--out FILE.html (a page), FILE.svg (the chart alone) or - (stdout)" },
  );
}

/**
 * Adds `sockit diagram` to the program.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Command } from "commander";
 * import { addDiagram } from "./diagram.ts";
 * const cli = new Command("sockit");
 * addDiagram(cli);
 * assert.deepEqual(cli.commands.map((c) => c.name()), ["diagram"]);
 * ```
 */
export function addDiagram(cli: Command): void {
  cli.command("diagram")
    .description("draw a message sequence chart of a script, JSON Lines log or pcap")
    .argument("<file>", "a recorded script, a JSON Lines log (--log) or a pcap sockit wrote")
    .option("--out <file>", "FILE.html (default: FILE with .html), FILE.svg, or - for stdout")
    .option("--format <format>", "html or svg, whatever --out ends with")
    .option(
      "--group",
      "draw runs of chunks in one direction as one arrow (default from 200 arrows)",
    )
    .option("--no-group", "one arrow per chunk, however many")
    .action(async (file: string, options: { out?: string; format?: string; group?: boolean }) => {
      const out = options.out ?? defaultOut(file);
      const format = formatOf(out, options.format);
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(file);
      } catch (error) {
        throw new SockitError(`Cannot diagram "${file}": ${systemReason(error)}`, {
          code: systemErrorCode(error),
          cause: error,
        });
      }
      const diagram = readDiagram(bytes, file);
      // commander leaves it undefined unless --group or --no-group is given.
      const group = options.group ?? "auto";
      const text = format === "svg" ? toSvg(diagram, { group }) : toHtml(diagram, { group });
      const data = new TextEncoder().encode(text);
      if (out === "-") {
        try {
          for (let off = 0; off < data.length;) off += Deno.stdout.writeSync(data.subarray(off));
        } catch (error) {
          // The reader went away (`| head`): stop quietly, as the other subcommands do.
          if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
          process.exitCode = EXIT_OUTPUT_CLOSED;
        }
        return;
      }
      try {
        await Deno.writeFile(out, data);
      } catch (error) {
        throw new SockitError(`Cannot diagram to "${out}": ${systemReason(error)}`, {
          code: systemErrorCode(error),
          cause: error,
        });
      }
      const arrows = diagram.events.filter(isArrow).length;
      console.log(
        `wrote ${out}: ${plural(diagram.lifelines.length, "lifeline")}, ${
          plural(arrows, "arrow")
        }, ${plural(diagram.events.length - arrows, "marker")}`,
      );
    });
}
