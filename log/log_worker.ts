/**
 * The log writer's thread: it formats the records the {@link Logger} posts (pcap packets or JSON
 * Lines with base64) and writes the file, so neither the formatting nor the file's writes take
 * time from the traffic's thread. Messages in: `{open, format}` first, then `{records, size}`
 * (answered with `{done: size}` once written) and `{close: true}` (answered with
 * `{closed: true}` and, when a write failed, `reason` and `code`).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { systemErrorCode, systemReason } from "../grammar/errors.ts";
import { BufferedFile } from "./file_writer.ts";
import { JsonlSink } from "./jsonl.ts";
import { PcapSink } from "./pcap.ts";
import type { LogRecord, LogSink } from "./record.ts";

type Message =
  | { open: string; format: string }
  | { records: LogRecord[]; size: number }
  | { close: true };

let sink: LogSink | undefined;
let failed: unknown;

self.onmessage = ({ data: m }: MessageEvent<Message>) => {
  if ("open" in m) {
    try {
      // The Logger created (and truncated) the file already.
      const file = BufferedFile.open(m.open, { truncate: false });
      sink = m.format === "pcap" ? new PcapSink(file) : new JsonlSink(file);
    } catch (error) {
      failed = error;
    }
  } else if ("close" in m) {
    try {
      sink?.close();
    } catch (error) {
      failed ??= error;
    }
    self.postMessage(
      failed === undefined
        ? { closed: true }
        : { closed: true, reason: systemReason(failed), code: systemErrorCode(failed) },
    );
  } else {
    if (sink && failed === undefined) {
      try {
        for (const record of m.records) sink.write(record);
      } catch (error) {
        failed = error;
      }
    }
    self.postMessage({ done: m.size });
  }
};
