import type { Command } from "./types.ts";
import { MAX_OPTION, sendPayload } from "./_send.ts";

/** `send NAME PAYLOAD…`: writes bytes. */
export const send: Command = {
  name: "send",
  usage: "send NAME PAYLOAD…",
  summary: 'send bytes: words, "quoted\\n", hex:4869, b64:SGk=, @file',
  details: "Adjacent bare words are joined with single spaces; quoted, hex:, b64: and @file\n" +
    "parts join their neighbours with nothing between. @file streams the file.\n" +
    "NAME may be a glob such as srv.* to send to every accepted peer.\nExamples:\n" +
    '  send a hello world          → "hello world"\n  send a "hello\\r\\n"          → "hello\\r\\n"\n' +
    '  send a hex:00ff "tail"      → 00 ff 74 61 69 6c\n  send a @request.bin',
  options: [MAX_OPTION],
  args: ["socket", "payload"],
  minArgs: 1,
  script: { sends: { payload: 1 } },
  run(ctx, args) {
    return sendPayload(ctx, args, undefined);
  },
};
