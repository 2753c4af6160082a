/**
 * The JSON Lines log: one object per record, documented in docs/log_format.md and described by
 * docs/log.schema.json.
 *
 * @module
 */
import { base64, textOf } from "../grammar/json_bytes.ts";
import type { BufferedFile } from "./file_writer.ts";
import type { LogRecord, LogSink } from "./record.ts";

/**
 * One record's line in three pieces: the text before the base64 of a data record's bytes, the
 * bytes (undefined for other events), and the text after them, newline included. The sink
 * writes the pieces one after the other, so a large chunk's base64 is never copied into a
 * line first.
 */
function pieces(record: LogRecord): [string, Uint8Array | undefined, string] {
  const { ts, wall, socket, ...fact } = record;
  const head = `{"t":"${new Date(wall).toISOString()}","ts":${ts},"socket":${
    JSON.stringify(socket)
  },"event":"${fact.event}"`;
  if (fact.event !== "data") {
    const { event: _, ...rest } = fact;
    const tail = JSON.stringify(rest);
    return [tail === "{}" ? head + "}\n" : `${head},${tail.slice(1)}\n`, undefined, ""];
  }
  const { bytes, dir, peer, kind } = fact;
  let before = `${head},"dir":"${dir}","size":${bytes.length}`;
  if (peer !== undefined) before += `,"peer":${JSON.stringify(peer)}`;
  if (kind !== undefined) before += `,"kind":"${kind}"`;
  let after = `"`;
  const text = textOf(bytes);
  if (text !== undefined) after += `,"text":${JSON.stringify(text)}`;
  return [before + `,"bytes":"`, bytes, after + "}\n"];
}

/** The JSON object for one record, as a line without its newline. */
export function jsonLine(record: LogRecord): string {
  const [before, bytes, after] = pieces(record);
  return (before + (bytes ? base64(bytes) : "") + after).slice(0, -1);
}

/**
 * Writes records as JSON Lines.
 *
 * @example One data record
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonLine } from "./jsonl.ts";
 * const line = jsonLine({
 *   socket: "a", ts: 1500, wall: 0, event: "data", dir: "in",
 *   bytes: new TextEncoder().encode("hi\n"),
 * });
 * const o = JSON.parse(line);
 * assert.equal(o.t, "1970-01-01T00:00:00.000Z");
 * assert.equal(o.bytes, "aGkK");
 * assert.equal(o.text, '"hi\\n"');
 * ```
 */
export class JsonlSink implements LogSink {
  #file: BufferedFile;

  constructor(file: BufferedFile) {
    this.#file = file;
  }

  write(record: LogRecord): void {
    const [before, bytes, after] = pieces(record);
    this.#file.writeText(before);
    if (!bytes) return;
    this.#file.writeAscii(base64(bytes));
    this.#file.writeText(after);
  }

  close(): void {
    this.#file.close();
  }
}
