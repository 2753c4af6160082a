import { parseInteger } from "./args.ts";
import type { Command } from "./types.ts";
import { dataResult, DISPLAY_OPTIONS, displayOf, readOptions, TIMEOUT_OPTION } from "./_sockets.ts";
import { datagramSocket } from "./sendto.ts";
import { expectedRead, expectedResult, type ReceivingSocket } from "./reading.ts";

/** `recvfrom NAME [MAX]`: the next datagram and who sent it. */
export const recvfrom: Command = {
  name: "recvfrom",
  usage: "recvfrom NAME [MAX]",
  summary: "receive one datagram and show its sender; longer than MAX shows (truncated)",
  details: "On a bound udp socket this reads every sender's datagrams in arrival order\n" +
    "(each sender is also a child NAME.N that reads only its own).",
  options: [TIMEOUT_OPTION, ...DISPLAY_OPTIONS],
  args: ["socket", "none"],
  minArgs: 1,
  maxArgs: 2,
  script: { reads: "datagram", expects: true },
  async run(ctx, args) {
    const name = args.positional[0].text;
    const max = args.positional[1]
      ? parseInteger(args.positional[1].text, "recvfrom MAX", 1)
      : 65536;
    const socket = datagramSocket(ctx, name, "recvfrom");
    const opts = readOptions(ctx, args);
    const replayed = ctx.expect && expectedRead(socket as ReceivingSocket, ctx.expect, opts, max);
    if (replayed) {
      const read = await replayed;
      const result = expectedResult(socket as ReceivingSocket, "recvfrom", ctx.expect!, read, opts);
      return read.from && result.kind === "data" ? { ...result, from: read.from } : result;
    }
    const read = await socket.buffer.recv(max, opts);
    const all = args.options.all === true;
    const result = dataResult(name, "recvfrom", read, opts.timeout, displayOf(args), all);
    return read.from && result.kind === "data" ? { ...result, from: read.from } : result;
  },
};
