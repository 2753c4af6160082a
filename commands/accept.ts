import { errorCode, SockitError } from "../grammar/errors.ts";
import { Listener } from "../sockets/listener.ts";
import type { Command } from "./types.ts";
import { formatDuration } from "../grammar/duration.ts";
import { TIMEOUT_OPTION } from "./_sockets.ts";

/** `accept NAME`: waits for the next accepted connection not yet handed out. */
export const accept: Command = {
  name: "accept",
  usage: "accept LISTENER",
  summary: "wait for the next connection on a listener (children are named LISTENER.N)",
  details: "Connections are accepted as they arrive, named and registered at once; accept\n" +
    "hands them out in arrival order, each once, waiting when none is left.",
  options: [TIMEOUT_OPTION],
  args: ["listener"],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, args) {
    const name = args.positional[0].text;
    const socket = ctx.registry.get(name, "accept on");
    if (!(socket instanceof Listener)) {
      throw new SockitError(`Cannot accept on "${name}": not a listener (${socket.kind})`, {
        code: "wrong-kind",
      });
    }
    const timeout = (args.options.timeout as number | undefined) ?? ctx.settings.timeout;
    try {
      const child = await socket.accept({ timeout, signal: ctx.signal });
      return { kind: "socket", info: child.info(), verb: "accepted" };
    } catch (error) {
      if (errorCode(error) === "timeout") {
        throw new SockitError(
          `Cannot accept on "${name}": timed out after ${formatDuration(timeout)}`,
          { code: "timeout" },
        );
      }
      throw error;
    }
  },
};
