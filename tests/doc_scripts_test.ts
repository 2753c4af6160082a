/**
 * Every example script in README.md and docs/ (a fenced block marked `sockit`) replays as
 * written: an example a reader copies is a test that passes.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { parseScript } from "../session/parse.ts";
import { replay } from "../session/replay.ts";
import { formatFailure } from "../session/report.ts";

const ROOT = new URL("..", import.meta.url);

/** The `sockit` blocks of a Markdown file, with the line each starts on. */
function scriptBlocks(markdown: string): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```sockit") continue;
    const start = i + 1;
    while (++i < lines.length && lines[i].trim() !== "```");
    blocks.push({ line: start + 1, text: lines.slice(start, i).join("\n") + "\n" });
  }
  return blocks;
}

const files = [
  "README.md",
  ...[...Deno.readDirSync(new URL("docs/", ROOT))]
    .filter((e) => e.name.endsWith(".md")).map((e) => `docs/${e.name}`).sort(),
];

for (const file of files) {
  const blocks = scriptBlocks(Deno.readTextFileSync(new URL(file, ROOT)));
  for (const block of blocks) {
    Deno.test(`the example script at ${file}:${block.line} replays as written`, async () => {
      const result = await replay(parseScript(block.text, `${file}:${block.line}`));
      assertEquals(result.status, "passed", result.failure && formatFailure(result.failure));
    });
  }
}

Deno.test("the README and docs/scripts.md hold example scripts for the test above", () => {
  for (const file of ["README.md", "docs/scripts.md"]) {
    const n = scriptBlocks(Deno.readTextFileSync(new URL(file, ROOT))).length;
    assert(n > 0, `${file} has no sockit blocks`);
  }
});
