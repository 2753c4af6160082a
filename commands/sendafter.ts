import type { Args, Command, OptionSpec } from "./types.ts";
import { readingCommand } from "./reading.ts";
import { parseDelimiter } from "./recvuntil.ts";
import { MAX_OPTION, sendPayload } from "./_send.ts";

/** The arguments of the send that follows the wait: the socket and the payload after DELIM. */
function sendArgs(args: Args): Args {
  const [name, , ...payload] = args.positional;
  return { ...args, positional: [name, ...payload], options: { max: args.options.max } };
}

/** What differs between `sendafter` and `sendlineafter`. */
export interface AfterSpec {
  /** The command's name. */
  name: string;
  /** Its usage line. */
  usage: string;
  /** One line for the command list. */
  summary: string;
  /** More help. */
  details: string;
  /** Options beside `--timeout`, `--max` and the display ones. */
  options?: OptionSpec[];
  /** What follows the payload (a line ending), if anything. */
  suffix?: (args: Args) => Uint8Array | undefined;
}

/**
 * A command that waits for a delimiter (the read of recvuntil), then sends a payload (the send
 * path of send, with `suffix`): returns the bytes received through the delimiter, as pwntools'
 * sendafter does. Nothing is sent when the delimiter does not come.
 */
export function afterCommand(spec: AfterSpec): Command {
  const { suffix, options = [], ...command } = spec;
  const action = `${spec.name} on`;
  return readingCommand({
    ...command,
    options: [MAX_OPTION, ...options],
    args: ["socket", "none", "payload"],
    minArgs: 2,
    script: { reads: "stream", sends: { payload: 2, suffix } },
    action,
    async reader(args, name) {
      const delim = await parseDelimiter(args.positional.slice(1, 2), `${action} "${name}"`);
      return (socket, opts) => socket.buffer.recvUntil(delim, opts);
    },
    after: (ctx, args) => sendPayload(ctx, sendArgs(args), suffix?.(args)),
  });
}

/** `sendafter NAME DELIM PAYLOAD…`: waits for DELIM (as recvuntil), then sends the payload. */
export const sendafter: Command = afterCommand({
  name: "sendafter",
  usage: "sendafter NAME DELIM PAYLOAD…",
  summary: "receive through DELIM, then send PAYLOAD; shows what was received",
  details: "DELIM is a payload literal, as for recvuntil; --timeout is the wait's. Nothing is\n" +
    'sent when DELIM does not come.\nExample:\n  sendafter a "Password: " hunter2',
});
