/**
 * Optimal-string-alignment (Damerau–Levenshtein) distance between two short strings: the fewest
 * insertions, deletions, substitutions and swaps of two neighbouring letters that turn one into
 * the other, so a transposition such as `sned` → `send` costs 1, not 2.
 *
 * @example Distances
 * ```ts
 * import assert from "node:assert/strict";
 * import { editDistance } from "./nearest.ts";
 * assert.equal(editDistance("sned", "send"), 1);
 * assert.equal(editDistance("recv", "recv"), 0);
 * assert.equal(editDistance("lisetn", "listen"), 1);
 * ```
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push(Array.from({ length: b.length + 1 }, (_, j) => i === 0 ? j : j === 0 ? i : 0));
  }
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2][j - 2] + 1);
      }
      rows[i][j] = d;
    }
  }
  return rows[a.length][b.length];
}

/**
 * Words users type for a command under another name, from other tools (`connect` in telnet and
 * ncat, `exit` in shells, `read`/`write` in socket APIs, `list` for `ls`), and the command each
 * means. The shell and the CLI both suggest through this table.
 */
export const SYNONYMS: Readonly<Record<string, string>> = {
  connect: "open",
  dial: "open",
  exit: "quit",
  bye: "quit",
  read: "recv",
  receive: "recv",
  write: "send",
  list: "ls",
  bind: "listen",
  server: "serve",
};

/** How far a candidate is from `word`: the edit distance, less a bonus for a shared start. */
function score(word: string, candidate: string): number {
  if (word.length >= 2 && candidate.startsWith(word)) return 0.5;
  let shared = 0;
  while (shared < word.length && word[shared] === candidate[shared]) shared++;
  return editDistance(word, candidate) - Math.min(shared, 2) * 0.25;
}

/**
 * The candidate nearest to `word`, if it is close enough to be a likely typo (or `word` is a
 * {@linkcode SYNONYMS} entry for a candidate). Ties go to the candidate sharing the longer start
 * with `word`, then to the one listed first.
 *
 * @example Suggesting a command
 * ```ts
 * import assert from "node:assert/strict";
 * import { nearest } from "./nearest.ts";
 * const commands = ["open", "send", "recv", "listen", "ls", "serve", "quit"];
 * assert.equal(nearest("sned", commands), "send");
 * assert.equal(nearest("sevre", commands), "serve");
 * assert.equal(nearest("connect", commands), "open");
 * assert.equal(nearest("read", commands), "recv");
 * assert.equal(nearest("xyzzy", commands), undefined);
 * ```
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  const synonym = SYNONYMS[word.toLowerCase()];
  if (synonym !== undefined && list.includes(synonym)) return synonym;
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of list) {
    const s = score(word, c);
    if (s < bestScore) {
      best = c;
      bestScore = s;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3) + 1);
  return bestScore <= limit ? best : undefined;
}
