import { RelaySocket } from "../sockets/relay.ts";
import { ToxicSet } from "../sockets/toxics/toxics.ts";
import type { Command } from "./types.ts";
import { TLS_CLIENT_OPTIONS, TLS_SERVER_OPTIONS } from "./_tls_options.ts";

/** `relay NAME LISTEN TARGET`: a forwarder kept as a named socket (see sockets/relay.ts). */
export const relay: Command = {
  name: "relay",
  usage: "relay NAME LISTEN TARGET",
  summary: "forward every connection on LISTEN to TARGET, both ways, with correct half-close",
  details: "LISTEN and TARGET are [KIND:]ADDR: tcp:HOST:PORT (the default: :9000 binds\n" +
    "127.0.0.1), tls:HOST:PORT, udp:HOST:PORT or unix:PATH (a path starting with / or . is\n" +
    "unix). Any stream kind joins any other; udp joins only udp.\n" +
    "When one side shuts down its writing, the other side's writing is shut and the other\n" +
    "direction flows on until it ends too (no cut-off). A reset on one side closes the other.\n" +
    "UDP: each client address gets its own upstream socket, closed after --udp-idle (60s).\n" +
    "ls shows connections (active, total) and bytes up (in: client to target) and down (out);\n" +
    "events name connections NAME#1, NAME#2, … with their byte counts; close NAME stops it.\n" +
    "Faults on purpose (latency, bandwidth, slicer, resets…): toxic NAME add … (help toxic).\n" +
    "Examples:\n  relay r :0 127.0.0.1:9000\n" +
    "  relay t tls:127.0.0.1:0 tcp:127.0.0.1:9000 --cert leaf.pem --key leaf.key\n" +
    "  relay o :0 tls:example.com:443 --ca ca.pem\n  relay u udp::0 udp:127.0.0.1:5353\n" +
    "  relay x unix:/tmp/front.sock 127.0.0.1:9000",
  options: [
    ...TLS_SERVER_OPTIONS.map((o) => ({ ...o, summary: `${o.summary}, for a tls: LISTEN` })),
    {
      name: "handshake-timeout",
      type: "duration",
      summary: "--handshake-timeout D  tls: LISTEN: close a client not done shaking hands (10s)",
    },
    ...TLS_CLIENT_OPTIONS.map((o) => ({ ...o, summary: `${o.summary}, for a tls: TARGET` })),
    {
      name: "connect-timeout",
      type: "duration",
      summary: "--connect-timeout D  how long dialling TARGET may take per connection (10s)",
    },
    {
      name: "udp-idle",
      type: "duration",
      summary: "--udp-idle D  udp: close a client's upstream socket after D without traffic (60s)",
    },
    {
      name: "force",
      type: "flag",
      summary: "--force  unix: LISTEN: replace a stale socket file nobody answers on",
    },
  ],
  args: ["none", "none", "none"],
  minArgs: 3,
  maxArgs: 3,
  script: { defines: 0, binds: true, paths: ["cert", "key", "ca"] },
  async run(ctx, args) {
    const [name, listen, target] = args.positional.map((t) => t.text);
    ctx.registry.checkFreeName(name, "relay");
    const o = args.options;
    const socket = await RelaySocket.start(name, listen, target, {
      cert: o.cert as string | undefined,
      key: o.key as string | undefined,
      handshakeTimeout: o["handshake-timeout"] as number | undefined,
      ca: o.ca as string | undefined,
      servername: o.servername as string | undefined,
      alpn: o.alpn as string[] | undefined,
      insecure: o.insecure === true,
      connectTimeout: o["connect-timeout"] as number | undefined,
      udpIdle: o["udp-idle"] as number | undefined,
      force: o.force === true,
      // Stream relays can take toxics at any time (`toxic NAME add …`).
      toxics: /^udp:/i.test(listen) ? undefined : new ToxicSet(),
    }, ctx.registry.emit);
    try {
      ctx.registry.checkFreeName(name, "relay"); // taken while the relay started?
      ctx.registry.add(socket);
    } catch (error) {
      await socket.close();
      throw error;
    }
    return { kind: "socket", info: socket.info(), verb: "relaying" };
  },
};
