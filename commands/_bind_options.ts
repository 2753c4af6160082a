import type { OptionSpec } from "./types.ts";

/**
 * The options of the one way to listen (sockets/bind.ts) that `listen` and `serve` both take:
 * the TLS handshake deadline and the Unix stale-file policy.
 */
export const BIND_OPTIONS: OptionSpec[] = [
  {
    name: "handshake-timeout",
    type: "duration",
    summary: "--handshake-timeout D  tls: close a peer that has not finished its handshake (10s)",
  },
  {
    name: "force",
    type: "flag",
    summary: "--force  unix: replace a stale socket file nobody answers on (never other files)",
  },
];
