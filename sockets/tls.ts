/**
 * TLS for every stream: `open tls`, `listen tls` and `starttls` all run `node:tls` over a duplex
 * that carries the ciphertext on a plain Deno connection.
 *
 * Why `node:tls` and not `Deno.connectTls`/`Deno.startTls`: `Deno.startTls` refuses a connection
 * with a read in flight ("TCP stream is currently in use", and the connection is lost), yet a
 * sockit socket always has one (its read pump); Deno has no server-side `startTls`; and a Deno
 * `TlsConn` does not expose the negotiated protocol or the peer certificate, nor a per-connection
 * way to skip verification. A `TLSSocket` over a duplex we feed ourselves has none of these limits:
 * the pump's in-flight read is simply handed to the TLS engine (see `StreamSocket.upgrade`).
 *
 * @module
 */

import crypto from "node:crypto";
import { Duplex } from "node:stream";
import tls from "node:tls";
import { SockitError, systemErrorCode } from "../grammar/errors.ts";
import type { StreamTransport } from "./stream_socket.ts";
import { NodeReads } from "./node_reads.ts";

/** TLS settings as the commands take them (file paths, not contents). */
export interface TlsOptions {
  /** PEM file of extra CA certificates to trust (`--ca`). */
  ca?: string;
  /** Name to verify the certificate against and send as SNI (`--servername`). */
  servername?: string;
  /** ALPN protocols to offer (`--alpn`, repeatable or comma-separated). */
  alpn?: string | string[];
  /** Skip certificate verification (`--insecure`): shown as a warning. */
  insecure?: boolean;
  /** Certificate chain PEM file (`--cert`): the server's, or a client's for mutual TLS. */
  cert?: string;
  /** Private key PEM file (`--key`) of `cert`. */
  key?: string;
  /** Server: ask clients for a certificate, and refuse one without, or not signed by `--ca`. */
  requireCert?: boolean;
  /** Server: ask clients for a certificate; accept any, and show whether `--ca` signed it. */
  requestCert?: boolean;
}

/** The plain side under TLS: where ciphertext goes, and where it comes from. */
export interface CipherPort {
  /** Ciphertext from the peer, in order; ends at the peer's end of stream. */
  incoming: AsyncIterable<Uint8Array>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  readonly localAddr: Deno.Addr;
  readonly remoteAddr: Deno.Addr;
  /** The TCP connection underneath, for socket options (`sockopt`). */
  readonly raw?: unknown;
}

/** Ciphertext chunks read from a connection nobody else reads. */
export async function* connChunks(conn: { read(p: Uint8Array): Promise<number | null> }) {
  const buf = new Uint8Array(64 * 1024);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) return;
    yield buf.slice(0, n);
  }
}

/** A plain connection (a Deno conn, a node:net one, a proxy's tunnel) as a {@link CipherPort}. */
export function portOf(conn: StreamTransport): CipherPort {
  return {
    incoming: connChunks(conn),
    write: (p) => conn.write(p),
    closeWrite: () => conn.closeWrite(),
    close: () => conn.close(),
    localAddr: conn.localAddr,
    remoteAddr: conn.remoteAddr,
    raw: conn,
  };
}

/**
 * A PEM file's text. `check` refuses one that does not hold what the option needs; a server's
 * certificate and key skip it, as checkPair() checks them together and names both files.
 */
async function readPem(path: string, what: string, action: string, check = true): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    if (check) checkPem(text, path, what, action);
    return text;
  } catch (error) {
    if (error instanceof SockitError) throw error;
    const why = error instanceof Deno.errors.NotFound ? "not found" : (error as Error).message;
    throw new SockitError(`Cannot ${action}: cannot read ${what} file "${path}": ${why}`, {
      code: systemErrorCode(error),
    });
  }
}

/** Refuses a PEM file that does not hold what the option needs (a key given as --ca). */
function checkPem(text: string, path: string, what: string, action: string): void {
  const wantsKey = what === "--key";
  const has = wantsKey ? /-----BEGIN [A-Z ]*PRIVATE KEY-----/ : /-----BEGIN CERTIFICATE-----/;
  if (has.test(text)) return;
  const holds = /PRIVATE KEY-----/.test(text)
    ? "it holds a private key"
    : /-----BEGIN CERTIFICATE-----/.test(text)
    ? "it holds a certificate"
    : "it is not PEM";
  throw new SockitError(
    `Cannot ${action}: ${what} file "${path}" holds no ${
      wantsKey ? "private key" : "certificate"
    }` +
      ` (${holds})`,
    {
      code: "usage",
      hint: `${what} takes a PEM file with -----BEGIN ${
        wantsKey ? "PRIVATE KEY" : "CERTIFICATE"
      }-----`,
    },
  );
}

function alpnList(alpn: TlsOptions["alpn"]): string[] | undefined {
  if (alpn === undefined) return undefined;
  const list = (Array.isArray(alpn) ? alpn : [alpn]).flatMap((a) => a.split(",")).filter(Boolean);
  return list.length ? list : undefined;
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":");
}

/** Words a TLS failure in one line: which check failed, and a likely reason. */
export function tlsReason(error: unknown, verifyName?: string): string {
  const e = error as { code?: string; message?: string; reason?: string };
  const code = e?.code ?? "";
  const message = String(e?.message ?? error).split("\n")[0];
  if (/ALTNAME|hostname|NotValidForName|not valid for name/i.test(code + message)) {
    return `certificate name mismatch: not valid for ${verifyName ?? "the name asked for"}` +
      " (try --servername)";
  }
  if (/EXPIRED|Expired/i.test(code + message)) return "certificate expired";
  if (/NOT_YET_VALID|NotValidYet/i.test(code + message)) return "certificate not valid yet";
  if (
    /UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER|UnknownIssuer|unknown issuer|CERT_UNTRUSTED/i
      .test(code + message)
  ) {
    return "certificate not trusted: unknown issuer (try --ca FILE)";
  }
  if (
    /wrong version number|record layer|CorruptMessage|InvalidContentType|packet length/i.test(
      message,
    )
  ) {
    return "the peer does not speak TLS (plain text on a TLS socket?)";
  }
  if (/ECONNRESET|reset/i.test(code + message)) return "connection reset during the TLS handshake";
  if (/socket hang up|ended|EOF|closed/i.test(message)) {
    return "the peer closed the connection during the TLS handshake";
  }
  return message;
}

/** How long a close waits for its close_notify alert to go out before it cuts the connection. */
export const CLOSE_NOTIFY_MS = 1000;

/**
 * A decrypted byte stream over a TLSSocket: the {@link StreamTransport} a StreamSocket reads.
 * The handshake runs at once; `ready` settles when it ends.
 *
 * Every operation settles: after a failed handshake (or {@link TlsTransport.abort}) `read` and
 * `write` reject with the handshake's reason. `close` sends close_notify first when the
 * handshake finished (a strict peer would otherwise report a truncation attack), waiting at most
 * {@link CLOSE_NOTIFY_MS} for it to go out, then closes the connection underneath.
 */
export class TlsTransport implements StreamTransport {
  readonly localAddr: Deno.Addr;
  readonly remoteAddr: Deno.Addr;
  /** Resolves after a successful handshake; rejects with a one-line reason. */
  readonly ready: Promise<void>;
  readonly isServer: boolean;
  readonly insecure: boolean;
  #socket: tls.TLSSocket;
  #port: CipherPort;
  #reads: NodeReads;
  #feeding: Promise<void>;
  #closed = false;
  #closing: Promise<void> = Promise.resolve();
  /** Set once the handshake succeeded. */
  #secure = false;
  /** Why the handshake failed, once it has. */
  #failed: Error | undefined;
  #reject!: (error: Error) => void;
  /** Our side's end was sent (shutdown or close): no second close_notify. */
  #writeEnded = false;
  /** Server asking for client certificates: how the client's was judged. */
  #clientCheck: ClientCheck | undefined;
  #clientVerdict: string | undefined;

  constructor(socket: tls.TLSSocket, port: CipherPort, duplex: CipherDuplex, opts: {
    isServer: boolean;
    insecure: boolean;
    verifyName?: string;
    clientCheck?: ClientCheck;
  }) {
    this.#socket = socket;
    this.#port = port;
    this.isServer = opts.isServer;
    this.insecure = opts.insecure;
    this.localAddr = port.localAddr;
    this.remoteAddr = port.remoteAddr;
    this.#clientCheck = opts.clientCheck;
    this.#feeding = duplex.feed(port.incoming);
    this.ready = new Promise<void>((resolve, reject) => {
      this.#reject = (error) => {
        if (this.#secure || this.#failed) return;
        this.#failed = error;
        reject(error);
        // Nothing usable is left: close the connection so the peer sees it (no hanging client).
        this.#cut();
      };
      const fail = (why: string) => this.#reject(new SockitError(why, { code: "tls" }));
      const onError = (error: unknown) => fail(tlsReason(error, opts.verifyName));
      const onClose = () => fail("the peer closed the connection during the TLS handshake");
      socket.once(opts.isServer ? "secure" : "secureConnect", () => {
        socket.off("error", onError);
        if (this.#failed) return;
        if (this.#clientCheck) {
          const verdict = judgeClient(socket, this.#clientCheck);
          if (verdict.refuse) return fail(verdict.text ?? "client certificate refused");
          this.#clientVerdict = verdict.text;
        }
        this.#secure = true;
        resolve();
      });
      socket.once("error", onError);
      socket.once("close", onClose);
      socket.once("end", onClose);
    });
    this.ready.catch(() => {});
    this.#reads = new NodeReads(
      socket,
      (error) => new SockitError(tlsReason(error, opts.verifyName), { code: "tls" }),
    );
  }

  /** The TCP connection underneath (for `sockopt`). */
  get raw(): unknown {
    return this.#port.raw;
  }

  /** What `ls` shows: protocol, peer certificate subject, ALPN, and any warning. */
  describe(): string {
    const parts: string[] = [];
    const s = this.#socket;
    parts.push(s.getProtocol?.() ?? "TLS");
    if (this.insecure) parts.push("WARNING --insecure: certificate NOT verified");
    try {
      const cert = s.getPeerCertificate?.();
      const subject = cert?.subject as unknown as Record<string, string> | undefined;
      if (subject && Object.keys(subject).length) {
        parts.push(
          `peer ${Object.entries(subject).map(([k, v]) => `${k}=${v}`).join(", ")}`,
        );
      } else if (!this.isServer) parts.push("peer subject unavailable");
      else if (this.#clientCheck) parts.push("no client certificate");
    } catch {
      parts.push("peer subject unavailable");
    }
    if (this.#clientVerdict) parts.push(this.#clientVerdict);
    if (s.alpnProtocol) parts.push(`alpn ${s.alpnProtocol}`);
    return parts.join("; ");
  }

  async read(p: Uint8Array): Promise<number | null> {
    try {
      await this.ready;
    } catch (error) {
      if (this.#closed) return this.#finish();
      throw new SockitError(`TLS handshake failed: ${(error as Error).message}`, { code: "tls" });
    }
    const n = await this.#reads.read(p);
    return n === null && this.#closed ? this.#finish() : n;
  }

  /** Writes after the handshake; rejects (never hangs) when the handshake fails or failed. */
  async write(p: Uint8Array): Promise<number> {
    if (!this.#secure) {
      try {
        await this.ready;
      } catch (error) {
        throw new Error(`TLS handshake failed: ${(error as Error).message}`);
      }
    }
    if (this.#reads.error) throw this.#reads.error;
    if (this.#closed) throw new Deno.errors.BadResource("the TLS connection is closed");
    return await new Promise((resolve, reject) => {
      this.#socket.write(p, (error) => error ? reject(error) : resolve(p.length));
    });
  }

  /** Sends close_notify and ends our side; the peer can still send. */
  closeWrite(): Promise<void> {
    this.#writeEnded = true;
    return new Promise((resolve) => this.#socket.end(() => resolve()));
  }

  /**
   * Ends a handshake that has not finished (a stalled peer): `ready` rejects with `reason`, the
   * connection is closed so the peer sees it, and every later read or write fails. Does nothing
   * once the handshake succeeded.
   */
  abort(reason: string): void {
    if (this.#secure) return;
    this.#reject(new Error(reason));
    this.#cut();
  }

  /** Closes: close_notify first when the handshake finished, then the connection underneath. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#reads.stop();
    this.#closing = this.#shutdown();
  }

  async #shutdown(): Promise<void> {
    if (this.#secure && !this.#writeEnded && !this.#reads.error && !this.#socket.destroyed) {
      this.#writeEnded = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_NOTIFY_MS);
        this.#socket.end(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.#cut();
  }

  #cut(): void {
    this.#socket.destroy();
    try {
      this.#port.close();
    } catch { /* already closed */ }
    this.#reads.end();
  }

  /** After close: end of stream once the ciphertext feed has stopped (no read left behind). */
  async #finish(): Promise<null> {
    await this.#closing;
    await this.#feeding;
    return null;
  }

  /** Waits until a close has finished (close_notify sent, ciphertext feed stopped). */
  async closed(): Promise<void> {
    await this.#closing;
    await this.#feeding;
  }
}

/** The duplex a TLSSocket runs over: we push ciphertext in, and it writes ciphertext out. */
class CipherDuplex extends Duplex {
  #port: CipherPort;
  #more: (() => void) | undefined;
  constructor(port: CipherPort) {
    super({ allowHalfOpen: true });
    this.#port = port;
  }
  override _read(): void {
    const more = this.#more;
    this.#more = undefined;
    more?.();
  }
  override _write(chunk: Uint8Array, _enc: string, done: (error?: Error | null) => void): void {
    this.#writeAll(chunk).then(() => done(), (error) => done(error));
  }
  async #writeAll(chunk: Uint8Array): Promise<void> {
    let off = 0;
    while (off < chunk.length) off += await this.#port.write(chunk.subarray(off));
  }
  override _final(done: (error?: Error | null) => void): void {
    this.#port.closeWrite().then(() => done(), () => done());
  }
  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.#more?.();
    done(error);
  }
  /** Pushes the peer's ciphertext in, honouring backpressure, until the source ends. */
  async feed(source: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of source) {
        if (this.destroyed) return;
        if (chunk.length === 0) continue;
        if (!this.push(chunk)) await new Promise<void>((resolve) => this.#more = resolve);
      }
      if (!this.destroyed) this.push(null);
    } catch (error) {
      if (!this.destroyed) this.destroy(error as Error);
    }
  }
}

/** How a server judges client certificates: the CAs of `--ca`, and whether one is required. */
export interface ClientCheck {
  cas: crypto.X509Certificate[];
  required: boolean;
}

/** Every certificate in a PEM text. */
function caCertificates(pem: string): crypto.X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.flatMap((b) => parses(() => new crypto.X509Certificate(b)) ?? []);
}

/**
 * Judges the client's certificate after the handshake. Deno's node:tls asks for one and, with
 * `rejectUnauthorized`, refuses a client without, but does not check who signed it (it
 * reports every client certificate unauthorized, without a reason); so it is checked here:
 * signed by a CA of `--ca` (directly: intermediate chains are not followed) and within its
 * validity dates. A refused client is disconnected after the handshake, not with a TLS alert.
 */
function judgeClient(
  socket: tls.TLSSocket,
  check: ClientCheck,
): { refuse: boolean; text?: string } {
  const peer = socket.getPeerCertificate?.(true) as { raw?: Uint8Array } | undefined;
  if (!peer?.raw) {
    return check.required
      ? { refuse: true, text: "the client sent no certificate (--require-cert)" }
      : { refuse: false };
  }
  const cert = parses(() => new crypto.X509Certificate(peer.raw!));
  const now = Date.now();
  const subject = cert?.subject.replace(/\n/g, ", ") ?? "?";
  const why = !cert
    ? "it does not parse"
    : !check.cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))
    ? "not signed by a CA in --ca"
    : now < Date.parse(cert.validFrom)
    ? "not valid yet"
    : now > Date.parse(cert.validTo)
    ? "expired"
    : undefined;
  if (!why) return { refuse: false, text: "client certificate verified" };
  if (check.required) {
    return { refuse: true, text: `client certificate ${subject} refused: ${why}` };
  }
  return { refuse: false, text: `client certificate NOT verified: ${why}` };
}

function parses<T>(make: () => T): T | undefined {
  try {
    return make();
  } catch {
    return undefined;
  }
}

/**
 * Checks that a server's certificate and key belong together, so that `listen tls` fails at
 * once, naming both files, instead of failing every handshake later.
 */
function checkPair(
  certPem: string,
  keyPem: string,
  certFile: string,
  keyFile: string,
  action: string,
): void {
  const cert = parses(() => new crypto.X509Certificate(certPem));
  const key = parses(() => crypto.createPrivateKey(keyPem));
  const fail = (why: string) => {
    throw new SockitError(`Cannot ${action}: ${why}`, { code: "tls" });
  };
  if (!cert && !key) {
    const swapped = parses(() => new crypto.X509Certificate(keyPem)) &&
      parses(() => crypto.createPrivateKey(certPem));
    fail(
      `--cert ${certFile} holds no certificate and --key ${keyFile} holds no private key` +
        (swapped ? " (the two files are swapped)" : ""),
    );
  }
  if (!cert) fail(`--cert ${certFile} holds no certificate (the key is --key ${keyFile})`);
  if (!key) fail(`--key ${keyFile} holds no private key (the certificate is --cert ${certFile})`);
  if (!cert!.checkPrivateKey(key!)) {
    fail(`the certificate in ${certFile} and the key in ${keyFile} do not match`);
  }
}

/** Options for starting TLS on a plain port. */
export interface StartOptions extends TlsOptions {
  /** Server side (needs cert and key) or client side. */
  isServer: boolean;
  /** The host we dialled: verified when no servername is given. */
  host?: string;
  /** Names the action in errors, e.g. `open "a"`. */
  action: string;
}

/** Reads the files and builds the node:tls settings, failing in one line on bad input. */
export async function tlsSettings(options: StartOptions): Promise<{
  secure: tls.ConnectionOptions;
  verifyName?: string;
  clientCheck?: ClientCheck;
}> {
  const { action } = options;
  const ALPNProtocols = alpnList(options.alpn);
  if (options.isServer) {
    if (!options.cert || !options.key) {
      throw new SockitError(`Cannot ${action}: a TLS server needs --cert FILE and --key FILE`, {
        code: "usage",
      });
    }
    const [cert, key] = await Promise.all([
      readPem(options.cert, "--cert", action, false),
      readPem(options.key, "--key", action, false),
    ]);
    checkPair(cert, key, options.cert, options.key, action);
    const asks = options.requireCert || options.requestCert;
    if (!asks) {
      if (options.ca) {
        throw new SockitError(
          `Cannot ${action}: --ca on a TLS server verifies client certificates: ` +
            "add --require-cert or --request-cert",
          { code: "usage" },
        );
      }
      return { secure: { cert, key, ALPNProtocols } };
    }
    if (!options.ca && options.requireCert) {
      throw new SockitError(
        `Cannot ${action}: --require-cert needs --ca FILE, the CA that signs client certificates`,
        { code: "usage" },
      );
    }
    const ca = options.ca ? await readPem(options.ca, "--ca", action) : undefined;
    const cas = ca ? caCertificates(ca) : [];
    return {
      secure: {
        cert,
        key,
        ALPNProtocols,
        requestCert: true,
        rejectUnauthorized: options.requireCert === true,
        ...(ca ? { ca } : {}),
      } as tls.ConnectionOptions,
      clientCheck: { cas, required: options.requireCert === true },
    };
  }
  const ca = options.ca ? await readPem(options.ca, "--ca", action) : undefined;
  const verifyName = options.servername ?? options.host;
  const secure: tls.ConnectionOptions = {
    ALPNProtocols,
    rejectUnauthorized: !options.insecure,
    ...(ca ? { ca: [...tls.rootCertificates, ca] } : {}),
  };
  if (verifyName && isIp(verifyName)) secure.host = verifyName;
  else if (verifyName) secure.servername = verifyName;
  if (options.cert || options.key) {
    if (!options.cert || !options.key) {
      const [has, lacks] = options.cert ? ["--cert", "--key"] : ["--key", "--cert"];
      throw new SockitError(
        `Cannot ${action}: ${has} ${options.cert ?? options.key} needs ${lacks} FILE too ` +
          "(a client certificate is sent with its private key)",
        { code: "usage" },
      );
    }
    const [cert, key] = await Promise.all([
      readPem(options.cert, "--cert", action, false),
      readPem(options.key, "--key", action, false),
    ]);
    checkPair(cert, key, options.cert, options.key, action);
    secure.cert = cert;
    secure.key = key;
  }
  return { secure, verifyName };
}

/** Prepared node:tls settings (files read), from {@link tlsSettings}. */
export type TlsPrepared = Awaited<ReturnType<typeof tlsSettings>>;

/** Starts TLS (client or server) over a plain port; the handshake runs in the background. */
export async function startTlsOver(
  port: CipherPort,
  options: StartOptions,
  prepared?: TlsPrepared,
): Promise<TlsTransport> {
  const { secure, verifyName, clientCheck } = prepared ?? await tlsSettings(options);
  const duplex = new CipherDuplex(port);
  const socket = options.isServer
    ? new tls.TLSSocket(duplex as never, { ...secure, isServer: true } as tls.TLSSocketOptions)
    : tls.connect({ ...secure, socket: duplex as never });
  return new TlsTransport(socket, port, duplex, {
    isServer: options.isServer,
    insecure: !options.isServer && options.insecure === true,
    verifyName,
    clientCheck,
  });
}
