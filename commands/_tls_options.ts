import type { OptionSpec } from "./types.ts";

/** TLS client options, shared by `open tls` and `starttls`. */
export const TLS_CLIENT_OPTIONS: OptionSpec[] = [
  { name: "ca", type: "string", summary: "--ca FILE  tls: also trust the CA certificates in FILE" },
  {
    name: "servername",
    type: "string",
    summary: "--servername NAME  tls: verify the certificate for NAME and send it as SNI",
  },
  {
    name: "alpn",
    type: "string",
    repeat: true,
    summary: "--alpn PROTO  tls: offer this ALPN protocol (repeatable, or a,b)",
  },
  {
    name: "insecure",
    type: "flag",
    summary: "--insecure  tls: do NOT verify the certificate (a warning shows in output and ls)",
  },
];

/** TLS server options, shared by `listen tls` and `starttls` on an accepted socket. */
export const TLS_SERVER_OPTIONS: OptionSpec[] = [
  { name: "cert", type: "string", summary: "--cert FILE  tls server: certificate chain (PEM)" },
  { name: "key", type: "string", summary: "--key FILE  tls server: private key (PEM)" },
];
