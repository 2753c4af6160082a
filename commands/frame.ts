import { SockitError } from "../grammar/errors.ts";
import { FRAME_NAMES, frameOf, framer, setFrame } from "../protocols/framing.ts";
import { streamSocket } from "./_sockets.ts";
import type { Command } from "./types.ts";

/** `frame NAME [FRAME]`: sets (or shows) how messages are cut on a stream socket. */
export const frame: Command = {
  name: "frame",
  usage: "frame NAME [line|crlf|u16|u32|netstring|none]",
  summary: "cut messages on a stream socket: recv returns one message, send frames one",
  details: "With a frame set, `recv NAME` returns one whole message (without its delimiter or\n" +
    "length prefix) and `send`/`sendline NAME` send one message with the delimiter or prefix\n" +
    "added. recvline, recvexact, recvuntil and expect still read raw bytes.\n" +
    "  line       message \\n            crlf       message \\r\\n\n" +
    "  u16        2-byte big-endian length, message\n" +
    "  u32        4-byte big-endian length, message\n" +
    "  netstring  LEN:message,        none       back to raw bytes\n" +
    "Without FRAME, shows the current frame.\nExamples:\n  frame a u32\n  frame srv.* line",
  args: ["socket", "none"],
  minArgs: 1,
  maxArgs: 2,
  script: { frame: 1 },
  run(ctx, args) {
    const [target, value] = args.positional.map((t) => t.text);
    if (value !== undefined && !(FRAME_NAMES as readonly string[]).includes(value)) framer(value);
    const names = target.includes("*")
      ? ctx.registry.match(target, "frame").map((s) => s.name)
      : [target];
    const sockets = names.map((n) => streamSocket(ctx, n, "frame"));
    if (value === undefined) {
      if (sockets.length !== 1) {
        throw new SockitError(`frame: name one socket to show its frame`, { code: "usage" });
      }
      const name = frameOf(sockets[0])?.name ?? "none";
      return Promise.resolve({ kind: "message", text: `${sockets[0].name} frame ${name}` });
    }
    for (const s of sockets) setFrame(s, value === "none" ? undefined : framer(value));
    const shown = sockets.length === 1 ? sockets[0].name : `${sockets.length} sockets (${target})`;
    return Promise.resolve({ kind: "message", text: `${shown} frame ${value}` });
  },
};
