/**
 * Which reader a file needs, decided by its content: the pcap magic number, else JSON Lines
 * when the first line is a log record, else a recorded script.
 *
 * @module
 */
import { SockitError } from "../grammar/errors.ts";
import { fromJsonl, looksLikeJsonl } from "./from_jsonl.ts";
import { fromPcap, isPcap } from "./from_pcap.ts";
import { fromScript } from "./from_script.ts";
import type { Diagram } from "./model.ts";

/** pcapng's first block type: a capture format this reader does not take. */
const PCAPNG = 0x0a0d0d0a;

/**
 * The diagram of a file's bytes; `source` names it in errors (one line).
 *
 * @example A script, recognised by its content
 * ```ts
 * import assert from "node:assert/strict";
 * import { readDiagram } from "./detect.ts";
 * const d = readDiagram(new TextEncoder().encode("open tcp a 127.0.0.1:7\nsend a hi\n"), "x");
 * assert.equal(d.kind, "script");
 * assert.throws(() => readDiagram(new Uint8Array([0, 1, 2, 3]), "junk.bin"), /Cannot diagram "junk.bin"/);
 * ```
 */
export function readDiagram(bytes: Uint8Array, source: string): Diagram {
  if (isPcap(bytes)) return fromPcap(bytes, source);
  if (bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset).getUint32(0) === PCAPNG) {
    throw new SockitError(`Cannot diagram "${source}": a pcapng capture, not a classic pcap`, {
      code: "malformed",
      hint: `convert it: editcap -F pcap ${source} out.pcap (or tcpdump -w writes pcap)`,
    });
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw unknown(source, "binary, and no pcap");
  }
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x08\x0e-\x1a\x1c-\x1f]/.test(text)) throw unknown(source, "binary, and no pcap");
  if (text.trim() === "") throw unknown(source, "the file is empty");
  if (looksLikeJsonl(text)) return fromJsonl(text, source);
  try {
    return fromScript(text, source);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw unknown(source, `as a script: ${reason.split("\n")[0]}`);
  }
}

function unknown(source: string, why: string): SockitError {
  return new SockitError(
    `Cannot diagram "${source}": not a pcap, a JSON Lines log or a script (${why})`,
    {
      code: "malformed",
      hint: "sockit diagram reads what sockit --log, log start and record write",
    },
  );
}
