import { SockitError } from "../grammar/errors.ts";
import { parsePayload, payloadBytes } from "../grammar/payload.ts";
import { Listener } from "../sockets/listener.ts";
import { WsSocket } from "../sockets/ws_socket.ts";
import { TIMEOUT_OPTION } from "./_sockets.ts";
import type { Command } from "./types.ts";

/**
 * `ping NAME [PAYLOAD…]`: sends a WebSocket ping and waits for its pong, within one deadline
 * (`--timeout`, else `set timeout`); Ctrl-C ends the wait. The result names the socket only, so a
 * recording replays the same; `--time` adds the round trip.
 */
export const ping: Command = {
  name: "ping",
  usage: "ping NAME [PAYLOAD…] [--time]",
  summary: "ws: send a ping and wait for its pong (--time: show the round trip)",
  details: "The payload (at most 125 bytes) defaults to a counter, so every pong is matched to\n" +
    "its ping. Pings the peer sends are answered on their own.\nExamples:\n" +
    "  ping a\n  ping a hello --time      → pong from a in 0.21 ms",
  options: [
    TIMEOUT_OPTION,
    { name: "time", type: "flag", summary: "--time  show the round trip (not for recordings)" },
  ],
  args: ["socket", "payload"],
  minArgs: 1,
  script: { socket: 0 },
  async run(ctx, args) {
    const [target, ...payload] = args.positional;
    const socket = ctx.registry.get(target.text, "ping");
    if (socket instanceof Listener) {
      throw new SockitError(`Cannot ping "${socket.name}": it is a ${socket.kind} listener`, {
        code: "wrong-kind",
        hint: `ping its connections: ${socket.name}.1, …`,
      });
    }
    if (!(socket instanceof WsSocket)) {
      throw new SockitError(`Cannot ping "${socket.name}": it is ${socket.kind}, not ws`, {
        code: "wrong-kind",
        hint: "ping is the WebSocket ping; open ws NAME URL first",
      });
    }
    const body = payload.length ? await payloadBytes(parsePayload(payload)) : undefined;
    const ms = await socket.ping(body, {
      timeout: (args.options.timeout as number | undefined) ?? ctx.settings.timeout,
      signal: ctx.signal,
    });
    const time = args.options.time ? ` in ${ms.toFixed(2)} ms` : "";
    return { kind: "message", text: `pong from ${socket.name}${time}` };
  },
};
