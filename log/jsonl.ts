/**
 * The JSON Lines log: one object per record, documented in docs/log_format.md and described by
 * docs/log.schema.json.
 *
 * @module
 */
import { base64, textOf } from "../grammar/json_bytes.ts";
import type { BufferedFile } from "./file_writer.ts";
import type { LogRecord, LogSink } from "./record.ts";

/** The JSON object for one record, as a line without its newline. */
export function jsonLine(record: LogRecord): string {
  const { ts, wall, socket, ...fact } = record;
  const head = `{"t":"${new Date(wall).toISOString()}","ts":${ts},"socket":${
    JSON.stringify(socket)
  },"event":"${fact.event}"`;
  if (fact.event !== "data") {
    const { event: _, ...rest } = fact;
    const tail = JSON.stringify(rest);
    return tail === "{}" ? head + "}" : `${head},${tail.slice(1)}`;
  }
  const { bytes, dir, peer, kind } = fact;
  let line = `${head},"dir":"${dir}","size":${bytes.length}`;
  if (peer !== undefined) line += `,"peer":${JSON.stringify(peer)}`;
  if (kind !== undefined) line += `,"kind":"${kind}"`;
  line += `,"bytes":"${base64(bytes)}"`;
  const text = textOf(bytes);
  if (text !== undefined) line += `,"text":${JSON.stringify(text)}`;
  return line + "}";
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

  write(record: LogRecord): Promise<void> | undefined {
    return this.#file.writeText(jsonLine(record) + "\n");
  }

  close(): Promise<void> {
    return this.#file.close();
  }
}
