import { plural } from "../grammar/plural.ts";
import { SockitError } from "../grammar/errors.ts";
import type { DatagramSocket } from "../sockets/udp.ts";
import { parsePayload, payloadBytes } from "../grammar/payload.ts";
import type { Command, CommandContext } from "./types.ts";

/** The UDP socket of that name, or a one-line error naming the action. */
export function datagramSocket(ctx: CommandContext, name: string, action: string): DatagramSocket {
  const socket = ctx.registry.get(name, action);
  if (socket.closed) {
    throw new SockitError(`Cannot ${action} "${name}": socket is closed`, { code: "closed" });
  }
  if (typeof (socket as Partial<DatagramSocket>).sendTo !== "function") {
    throw new SockitError(`Cannot ${action} "${name}": not a datagram socket (${socket.kind})`, {
      code: "wrong-kind",
      hint: "sendto and recvfrom work on udp sockets; use send/recv on streams",
    });
  }
  return socket as DatagramSocket;
}

/** `sendto NAME HOST:PORT PAYLOAD…`: one datagram to any address, from a UDP socket. */
export const sendto: Command = {
  name: "sendto",
  usage: "sendto NAME HOST:PORT PAYLOAD…",
  summary: "send one datagram from a udp socket to HOST:PORT (the payload is one datagram)",
  details: "Examples:\n  listen udp u :0\n  sendto u 127.0.0.1:5353 hex:0001\n" +
    '  sendto u [::1]:9000 "ping"',
  args: ["socket", "none", "payload"],
  minArgs: 2,
  script: { sends: { payload: 2 }, address: 1 },
  async run(ctx, args) {
    const [target, address, ...payload] = args.positional;
    const socket = datagramSocket(ctx, target.text, "sendto from");
    const data = await payloadBytes(parsePayload(payload));
    const n = await socket.sendTo(address.text, data);
    return {
      kind: "message",
      text: `sent ${plural(n, "byte")} to ${address.text} from ${socket.name}`,
    };
  },
};
