import { SockitError } from "../grammar/errors.ts";
import type { Command } from "./types.ts";

/**
 * What `record` drives, found in the shell's `services.recorder`: the session layer installs
 * it (`attachRecorder`), so commands stay independent of the script format.
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
  usage: "record start FILE | record stop",
  summary: "record the following commands and what they observe as a script (sockit test)",
  details: "Every command after `record start` is written with what it observed, in the form\n" +
    "`sockit test` replays; ephemeral addresses become variables such as ${srv.local}.\n" +
    "Examples:\n  record start session.sockit\n  record stop",
  args: ["none", "file"],
  minArgs: 1,
  maxArgs: 2,
  script: { unrecorded: true, writes: 1 },
  async run(ctx, args) {
    const [action, file] = args.positional.map((t) => t.text);
    const recorder = ctx.services.recorder as RecordingService | undefined;
    if (!recorder) {
      throw new SockitError("Cannot record: recording is not set up in this shell", {
        hint: "use the sockit CLI, or attachRecorder(shell) from mod.ts",
      });
    }
    if (action === "start") {
      if (!file) throw new SockitError("record start: missing FILE", { hint: "record start FILE" });
      if (recorder.file) {
        throw new SockitError(
          `Cannot record to "${file}": already recording to "${recorder.file}"`,
          {
            hint: "record stop first",
          },
        );
      }
      await recorder.start(file);
      return { kind: "message", text: `recording to ${file}` };
    }
    if (action === "stop") {
      if (!recorder.file) throw new SockitError("Cannot stop recording: not recording");
      const written = await recorder.stop();
      return { kind: "message", text: `recorded ${written}` };
    }
    throw new SockitError(`record: unknown action "${action}"`, {
      hint: "record start FILE | record stop",
    });
  },
};
