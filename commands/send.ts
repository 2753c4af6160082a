import type { Command } from "./types.ts";
import { BINARY_OPTION, MAX_OPTION, SEND_TIMEOUT, sendPayload } from "./_send.ts";

/** `send NAME PAYLOAD…`: writes bytes. */
export const send: Command = {
  name: "send",
  usage: "send NAME PAYLOAD…",
  summary: 'send bytes: words, "quoted\\n", hex:4869, b64:SGk=, @file',
  details: "Adjacent bare words are joined with single spaces; quoted, hex:, b64: and @file\n" +
    "parts join their neighbours with nothing between. @file streams the file.\n" +
    "NAME may be a glob such as srv.* to send to every accepted peer.\nExamples:\n" +
    '  send a hello world          → "hello world"\n  send a "hello\\r\\n"          → "hello\\r\\n"\n' +
    '  send a hex:00ff "tail"      → 00 ff 74 61 69 6c\n  send a @request.bin\n' +
    "A send waits while the peer does not read (flow control); Ctrl-C, --timeout or close NAME\n" +
    "ends it, and the error says how many bytes went out. A write blocked on the peer cannot\n" +
    "be withdrawn from an open socket: up to 256 KiB of it go out if the peer reads later\n" +
    "(ls notes it, the next send waits for it, close drops it).\n" +
    "On a ws socket one send is one message: text (UTF-8), or binary with --binary.",
  options: [MAX_OPTION, SEND_TIMEOUT, BINARY_OPTION],
  args: ["socket", "payload"],
  minArgs: 1,
  script: { sends: { payload: 1 } },
  run(ctx, args) {
    return sendPayload(ctx, args, undefined);
  },
};
