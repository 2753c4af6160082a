import { SockitError, systemErrorCode, systemReason } from "../grammar/errors.ts";
import type { Command } from "./types.ts";

/**
 * What `record` drives, found in the shell's `services.recorder`: the session layer installs
 * it (`attachRecorder`), so commands stay independent of the script format.
 *
 * @example The record command drives the shell's recorder
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { RecordingService } from "./record.ts";
 * const started: string[] = [];
 * const recorder: RecordingService = {
 *   file: undefined,
 *   start: (file) => Promise.resolve(void started.push(file)),
 *   stop: () => Promise.resolve(started[0]),
 * };
 * await using shell = new Shell();
 * shell.services.recorder = recorder;
 * await shell.execute("record start out.sockit");
 * assert.deepEqual(started, ["out.sockit"]);
 * ```
 */
export interface RecordingService {
  /** The file being recorded to, if any. */
  readonly file: string | undefined;
  /** Starts recording every following command and what it observed into `file`. */
  start(file: string): Promise<void>;
  /** Stops recording; resolves with the file written. */
  stop(): Promise<string>;
}

/** `record start FILE` / `record stop`: record the session as a replayable script. */
export const record: Command = {
  name: "record",
  usage: "record start FILE [--force] | record stop",
  summary: "record the following commands and what they observe as a script (sockit test)",
  details: "Every command after `record start` is written with what it observed, in the form\n" +
    "`sockit test` replays; ephemeral addresses become variables such as ${srv.local}.\n" +
    "A FILE that already holds something is never overwritten unless --force is given.\n" +
    "Examples:\n  record start session.sockit\n  record stop",
  options: [{ name: "force", type: "flag", summary: "--force  overwrite FILE if it exists" }],
  args: ["none", "file"],
  minArgs: 1,
  maxArgs: 2,
  script: { unrecorded: true, writes: 1 },
  async run(ctx, args) {
    const [action, file] = args.positional.map((t) => t.text);
    const recorder = ctx.services.recorder as RecordingService | undefined;
    if (!recorder) {
      throw new SockitError("Cannot record: recording is not set up in this shell", {
        code: "failed",
        hint: "use the sockit CLI, or attachRecorder(shell) from mod.ts",
      });
    }
    if (action === "start") {
      if (!file) {
        throw new SockitError("record start: missing FILE", {
          code: "usage",
          hint: "record start FILE",
        });
      }
      if (recorder.file) {
        throw new SockitError(
          `Cannot record to "${file}": already recording to "${recorder.file}"`,
          { code: "exists", hint: "record stop first" },
        );
      }
      if (!args.options.force && await holdsSomething(file)) {
        throw new SockitError(`Cannot record to "${file}": the file exists`, {
          code: "exists",
          hint: `record start ${file} --force overwrites it`,
        });
      }
      await recorder.start(file).catch((error) => {
        throw new SockitError(`Cannot record to "${file}": ${writeReason(file, error)}`, {
          code: systemErrorCode(error),
          cause: error,
        });
      });
      return { kind: "message", text: `recording to ${file}` };
    }
    if (action === "stop") {
      if (!recorder.file) {
        throw new SockitError("Cannot stop recording: not recording", { code: "usage" });
      }
      const written = await recorder.stop();
      return { kind: "message", text: `recorded ${written}` };
    }
    throw new SockitError(`record: unknown action "${action}"`, {
      code: "usage",
      hint: "record start FILE | record stop",
    });
  },
};

/** Why a file could not be written, in a few words: a missing folder is named. */
function writeReason(file: string, error: unknown): string {
  if (!(error instanceof Deno.errors.NotFound)) return systemReason(error);
  const slash = file.lastIndexOf("/");
  return `the folder ${slash > 0 ? file.slice(0, slash) : "."} does not exist`;
}

/**
 * Whether recording to `path` would destroy something: anything there but an empty regular
 * file (which a `mktemp` made for the purpose) or nothing at all.
 */
async function holdsSomething(path: string): Promise<boolean> {
  try {
    const info = await Deno.lstat(path);
    return !info.isFile || info.size > 0;
  } catch {
    return false;
  }
}
