import { SockitError } from "../grammar/errors.ts";
import { parsePayload, payloadBytes } from "../grammar/payload.ts";
import type { Token } from "../grammar/tokenize.ts";
import { readingCommand } from "./reading.ts";

/**
 * The delimiter of a read that waits for one (`recvuntil`, `sendafter`): a payload literal that
 * is neither a file nor empty. `action` names the command and socket in errors.
 */
export async function parseDelimiter(tokens: Token[], action: string): Promise<Uint8Array> {
  const parts = parsePayload(tokens);
  if (parts.some((p) => p.kind === "file")) {
    throw new SockitError(`Cannot ${action}: the delimiter cannot be a file`, { code: "usage" });
  }
  const delim = await payloadBytes(parts);
  if (delim.length === 0) {
    throw new SockitError(`Cannot ${action}: the delimiter is empty`, { code: "usage" });
  }
  return delim;
}

/** `recvuntil NAME DELIM`: up to and including a delimiter. */
export const recvuntil = readingCommand({
  name: "recvuntil",
  usage: "recvuntil NAME DELIM",
  summary: 'receive up to and including DELIM (a payload literal: "\\r\\n\\r\\n", hex:00, …)',
  options: [
    { name: "drop", type: "flag", summary: "--drop  leave the delimiter out of the result" },
  ],
  args: ["socket", "none"],
  minArgs: 2,
  action: "recvuntil from",
  async reader(args, name) {
    const delim = await parseDelimiter(args.positional.slice(1), `recvuntil "${name}"`);
    const drop = !!args.options.drop;
    return (socket, opts) => socket.buffer.recvUntil(delim, { ...opts, drop });
  },
});
