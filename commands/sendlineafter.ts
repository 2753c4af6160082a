import type { Command } from "./types.ts";
import { afterCommand } from "./sendafter.ts";

const LF = new Uint8Array([10]);
const CRLF = new Uint8Array([13, 10]);

/** `sendlineafter NAME DELIM PAYLOAD…`: sendafter, ending the payload with a line ending. */
export const sendlineafter: Command = afterCommand({
  name: "sendlineafter",
  usage: "sendlineafter NAME DELIM PAYLOAD…",
  summary: "receive through DELIM, then send PAYLOAD and \\n (\\r\\n with --crlf)",
  details: "As sendafter, ending the payload with a newline.\nExample:\n" +
    '  sendlineafter a "login: " admin      → sends "admin\\n"',
  options: [{ name: "crlf", type: "flag", summary: "--crlf  end the line with \\r\\n" }],
  suffix: (args) => args.options.crlf ? CRLF : LF,
});
