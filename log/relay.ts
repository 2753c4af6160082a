/**
 * `sockit relay --log`: both sides of every relayed stream connection, as the stages of
 * `sockets/relay_pipe.ts` see them. Connection `#N` is two sockets of the log: `#N.client` (the
 * accepted client, role `accepted`) and `#N.target` (the relay's own connection to TARGET, role
 * `client`). What the client sends is `data in` on `#N.client`, then `data out` on `#N.target`
 * once the target took it; the answer the other way round.
 *
 * @module
 */
import { formatAddr } from "../sockets/address.ts";
import type { RelayEvent, RelayOptions } from "../sockets/relay.ts";
import type { Stage } from "../sockets/relay_pipe.ts";
import type { StreamTransport } from "../sockets/stream_socket.ts";
import type { Logger } from "./logger.ts";

type Sides = { client: StreamTransport; target: StreamTransport };

function open(
  logger: Logger,
  name: string,
  conn: StreamTransport,
  role: "accepted" | "client",
  tls: boolean,
): void {
  const t = conn.localAddr.transport;
  logger.log(name, {
    event: "open",
    transport: tls ? "tls" : t === "unix" || t === "unixpacket" ? "unix" : "tcp",
    role,
    local: formatAddr(conn.localAddr),
    remote: formatAddr(conn.remoteAddr),
  });
}

/** One direction: bytes read from `from`, written to `to`. */
function direction(logger: Logger, from: string, to: string): Stage {
  return {
    async data(chunk, next) {
      await logger.log(from, { event: "data", dir: "in", bytes: chunk });
      await next(chunk);
      await logger.log(to, { event: "data", dir: "out", bytes: chunk });
    },
    async end(next) {
      logger.log(from, { event: "peer-closed" });
      await next();
      logger.log(to, { event: "shutdown" });
    },
  };
}

/**
 * The relay options and event sink that log every stream connection of a relay to `logger`;
 * `tls` says which sides are TLS (their plaintext is logged). `events` passes each event on.
 *
 * @example The stages of connection 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { Logger } from "./logger.ts";
 * import { relayLogging } from "./relay.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const logger = await Logger.open(path);
 * const { options } = relayLogging(logger, { client: false, target: false }, () => {});
 * assert.equal(typeof options.stages, "function");
 * await logger.close();
 * await Deno.remove(path);
 * ```
 */
export function relayLogging(
  logger: Logger,
  tls: { client: boolean; target: boolean },
  events: (e: RelayEvent) => void,
): { options: Pick<RelayOptions, "stages">; events: (e: RelayEvent) => void } {
  const opened = new Set<number>();
  return {
    options: {
      stages: (id: number, dir: "up" | "down", sides: Sides) => {
        const client = `#${id}.client`, target = `#${id}.target`;
        if (!opened.has(id)) {
          opened.add(id);
          open(logger, client, sides.client, "accepted", tls.client);
          open(logger, target, sides.target, "client", tls.target);
        }
        return [
          dir === "up" ? direction(logger, client, target) : direction(logger, target, client),
        ];
      },
    },
    events: (e) => {
      if (e.type === "closed" && opened.delete(e.id)) {
        const closed = e.why
          ? { event: "closed" as const, reason: e.why }
          : { event: "closed" as const };
        logger.log(`#${e.id}.client`, closed);
        logger.log(`#${e.id}.target`, closed);
      } else if (e.type === "error" && e.id !== undefined) {
        logger.log(`#${e.id}.client`, { event: "error", message: e.message });
      }
      events(e);
    },
  };
}
