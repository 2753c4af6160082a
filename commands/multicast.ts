import { SockitError } from "../grammar/errors.ts";
import { UdpListener } from "../sockets/udp.ts";
import type { Command } from "./types.ts";

/** `multicast NAME join|leave GROUP`: multicast membership of a bound udp socket. */
export const multicast: Command = {
  name: "multicast",
  usage: "multicast NAME join|leave GROUP",
  summary: "join or leave a multicast group on a bound udp socket (listen udp)",
  details: "Bind the group address (listen udp m 239.1.2.3:0) or an explicit 0.0.0.0 to receive\n" +
    "the group's datagrams. --interface picks the IPv4 interface address (IPv6: its index).\n" +
    "Example:\n  listen udp m 239.1.2.3:0 --multicast 239.1.2.3 --interface 127.0.0.1\n" +
    "  multicast m leave 239.1.2.3",
  options: [{
    name: "interface",
    type: "string",
    summary: "--interface ADDR  the interface to join on (default: the kernel's choice)",
  }],
  args: ["socket", "none", "none"],
  minArgs: 3,
  maxArgs: 3,
  async run(ctx, args) {
    const [name, verb, group] = args.positional.map((t) => t.text);
    const socket = ctx.registry.get(name, "multicast on");
    if (!(socket instanceof UdpListener) || socket.closed) {
      throw new SockitError(`Cannot multicast ${verb} on "${name}": not a bound udp socket`, {
        code: "wrong-kind",
        hint: "listen udp NAME ADDR first",
      });
    }
    if (verb === "join") await socket.join(group, args.options.interface as string | undefined);
    else if (verb === "leave") await socket.leave(group);
    else {throw new SockitError(`multicast: unknown action "${verb}"`, {
        code: "usage",
        hint: "join or leave",
      });}
    return { kind: "message", text: `${name} ${verb === "join" ? "joined" : "left"} ${group}` };
  },
};
