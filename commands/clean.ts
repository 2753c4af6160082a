import type { Command } from "./types.ts";
import { receivingSocket } from "./_sockets.ts";

/** `clean NAME`: discards what is buffered now, saying how much (pwntools' `clean`). */
export const clean: Command = {
  name: "clean",
  usage: "clean NAME",
  summary: "discard the bytes buffered on NAME now, saying how many",
  details: "Does not wait: what arrives afterwards is read as usual.\n" +
    "Examples:\n  clean a            → discarded 120 bytes from a\n" +
    "  clean u            → discarded 40 bytes (2 datagrams) from u",
  args: ["socket"],
  minArgs: 1,
  maxArgs: 1,
  // Its observation is a message: the mock has nothing to answer, replay compares the count.
  script: {},
  run(ctx, args) {
    const name = args.positional[0].text;
    const gone = receivingSocket(ctx, name, "clean").buffer.discard();
    const datagrams = gone.datagrams === undefined
      ? ""
      : ` (${gone.datagrams} datagram${gone.datagrams === 1 ? "" : "s"})`;
    return Promise.resolve({
      kind: "message",
      text: `discarded ${gone.bytes} bytes${datagrams} from ${name}`,
    });
  },
};
