import type { Command } from "./types.ts";
import { MAX_OPTION, SEND_TIMEOUT, sendPayload } from "./_send.ts";

const LF = new Uint8Array([10]);
const CRLF = new Uint8Array([13, 10]);

/** `sendline NAME PAYLOAD…`: writes bytes and a line ending. */
export const sendline: Command = {
  name: "sendline",
  usage: "sendline NAME PAYLOAD…",
  summary: "send bytes followed by \\n (or \\r\\n with --crlf)",
  details:
    'Example:\n  sendline a PING          → "PING\\n"\n  sendline a --crlf EHLO me → "EHLO me\\r\\n"',
  options: [
    { name: "crlf", type: "flag", summary: "--crlf  end the line with \\r\\n" },
    MAX_OPTION,
    SEND_TIMEOUT,
  ],
  args: ["socket", "payload"],
  minArgs: 1,
  script: { sends: { payload: 1, suffix: (args) => args.options.crlf ? CRLF : LF } },
  run(ctx, args) {
    return sendPayload(ctx, args, args.options.crlf ? CRLF : LF);
  },
};
