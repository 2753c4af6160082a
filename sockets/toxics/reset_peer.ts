/**
 * `reset_peer [--after D]`: D after it applies (at once by default) the connection is closed
 * abortively: the client gets a real TCP RST (ECONNRESET), the target is closed.
 *
 * @example The reset happens after D
 * ```ts
 * import assert from "node:assert/strict";
 * import { resetPeer } from "./reset_peer.ts";
 * const stop = new AbortController();
 * const why = await new Promise<string>((resolve) => {
 *   resetPeer.create({ after: 5 }, { signal: stop.signal, close() {}, reset: resolve, cut() {} });
 * });
 * assert.equal(why, "reset_peer: reset after 5ms");
 * ```
 *
 * @module
 */
import { formatDuration } from "../../grammar/duration.ts";
import { after, type ToxicRun, type ToxicType } from "./_toxic.ts";

/** The reset_peer toxic. */
export const resetPeer: ToxicType = {
  name: "reset_peer",
  usage: "reset_peer [--after D]",
  summary: "TCP RST to the client, at once or after D",
  toxiproxy: "reset_peer",
  options: { after: { kind: "duration", default: 0 } },
  create(args, ctx): ToxicRun {
    after(
      args.after,
      ctx.signal,
      () => ctx.reset(`reset_peer: reset after ${formatDuration(args.after)}`),
    );
    return { data: (chunk, next) => next(chunk) };
  },
};
