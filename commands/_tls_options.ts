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

/**
 * TLS certificate options: a server's (`listen tls`, `starttls` on an accepted socket), or a
 * client's for mutual TLS (`open tls`, `starttls` on a socket we dialled).
 */
export const TLS_SERVER_OPTIONS: OptionSpec[] = [
  {
    name: "cert",
    type: "string",
    summary:
      "--cert FILE  tls: certificate chain (PEM): the server's, or the client's (mutual TLS)",
  },
  { name: "key", type: "string", summary: "--key FILE  tls: private key (PEM) of --cert" },
];

/** Client certificates asked for by a TLS server (`listen tls`). */
export const TLS_VERIFY_CLIENT_OPTIONS: OptionSpec[] = [
  {
    name: "ca",
    type: "string",
    summary: "--ca FILE  tls server: the CA certificates that sign client certificates",
  },
  {
    name: "require-cert",
    type: "flag",
    summary: "--require-cert  tls server: refuse a client without a certificate signed by --ca",
  },
  {
    name: "request-cert",
    type: "flag",
    summary: "--request-cert  tls server: ask for a client certificate; ls shows if --ca signed it",
  },
];
