/**
 * Logging for data paths that hold a raw transport rather than a shell socket (`sockit
 * connect`, `listen`, `serve`, `record --proxy`): {@link loggedTransport} wraps a connection so
 * that everything it reads and writes, its half-closes, its end and its failures reach a
 * {@link Logger} under one name.
 *
 * @module
 */
import { systemErrorCode, systemReason } from "../grammar/errors.ts";
import { formatAddr } from "../sockets/address.ts";
import type { Logger } from "./logger.ts";
import type { StreamTransport } from "../sockets/stream_socket.ts";

/** What a stream (or connected datagram) connection offers: the sockets' stream transport. */
export type LoggableConn = StreamTransport;

/** The transport of an address: tcp, unix or udp (`tls` must be said). */
function transportOf(conn: LoggableConn, tls: boolean): string {
  if (tls) return "tls";
  return conn.localAddr.transport === "udp" ? "udp" : conn.localAddr.transport === "unix" ||
      conn.localAddr.transport === "unixpacket"
    ? "unix"
    : "tcp";
}

/** Logs the failure `error` of `name`: a reset, or another error with its code. */
export function logFailure(logger: Logger, name: string, error: unknown): void {
  logger.log(
    name,
    systemErrorCode(error) === "reset"
      ? { event: "reset", message: systemReason(error) }
      : { event: "error", message: systemReason(error), code: systemErrorCode(error) },
  );
}

/**
 * Wraps `conn` so that `logger` sees it under `name`: `open` now (role `client` or `accepted`),
 * every read as `data in` and every write as `data out`, `shutdown` for closeWrite, `peer-closed`
 * at end of stream, `reset`/`error` when a read or write fails, `closed` once. The wrapper is
 * the same object with its methods replaced, so its other fields (`datagram`, `ready`) stay.
 *
 * @example A logged client
 * ```ts
 * import assert from "node:assert/strict";
 * import { Logger } from "./logger.ts";
 * import { loggedTransport } from "./transport.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const logger = await Logger.open(path);
 * using server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const conn = loggedTransport(
 *   logger,
 *   "a",
 *   await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }),
 *   "client",
 * );
 * await conn.write(new TextEncoder().encode("hi"));
 * conn.close();
 * await logger.close();
 * const events = (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l).event);
 * assert.deepEqual(events, ["open", "data", "closed"]);
 * await Deno.remove(path);
 * ```
 */
export function loggedTransport<T extends LoggableConn>(
  logger: Logger,
  name: string,
  conn: T,
  role: "client" | "accepted",
  tls = false,
): T {
  logger.log(name, {
    event: "open",
    transport: transportOf(conn, tls),
    role,
    local: formatAddr(conn.localAddr),
    remote: formatAddr(conn.remoteAddr),
  });
  const read = conn.read.bind(conn);
  const write = conn.write.bind(conn);
  const closeWrite = conn.closeWrite.bind(conn);
  const close = conn.close.bind(conn);
  let ended = false;
  let closed = false;
  const failed = (error: unknown) => {
    if (!ended && !closed) logFailure(logger, name, error);
    ended = true;
    return error;
  };
  return Object.assign(conn, {
    async read(p: Uint8Array): Promise<number | null> {
      let n: number | null;
      try {
        n = await read(p);
      } catch (error) {
        throw failed(error);
      }
      if (n === null) {
        if (!ended && !closed) logger.log(name, { event: "peer-closed" });
        ended = true;
        return null;
      }
      await logger.log(name, { event: "data", dir: "in", bytes: p.subarray(0, n) });
      return n;
    },
    async write(p: Uint8Array): Promise<number> {
      let n: number;
      try {
        n = await write(p);
      } catch (error) {
        throw failed(error);
      }
      await logger.log(name, { event: "data", dir: "out", bytes: p.subarray(0, n) });
      return n;
    },
    async closeWrite(): Promise<void> {
      await closeWrite();
      if (!closed) logger.log(name, { event: "shutdown" });
    },
    close(): void {
      if (!closed) logger.log(name, { event: "closed" });
      closed = true;
      close();
    },
  });
}

/**
 * Wraps a bound UDP socket so that `logger` sees it under `name`: `open` now (role `bound`),
 * every datagram received as `data in` and sent as `data out` with its peer, `closed` once.
 *
 * @example A logged UDP socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { Logger } from "./logger.ts";
 * import { loggedDatagrams } from "./transport.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const logger = await Logger.open(path);
 * const conn = loggedDatagrams(
 *   logger,
 *   "u",
 *   Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 }),
 * );
 * const addr = conn.addr as Deno.NetAddr;
 * await conn.send(new TextEncoder().encode("hi"), addr);
 * await conn.receive();
 * conn.close();
 * await logger.close();
 * const events = (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l).event);
 * assert.deepEqual(events, ["open", "data", "data", "closed"]);
 * await Deno.remove(path);
 * ```
 */
export function loggedDatagrams(
  logger: Logger,
  name: string,
  conn: Deno.DatagramConn,
): Deno.DatagramConn {
  logger.log(name, {
    event: "open",
    transport: "udp",
    role: "bound",
    local: formatAddr(conn.addr),
    remote: "-",
  });
  const receive = conn.receive.bind(conn);
  const send = conn.send.bind(conn);
  const close = conn.close.bind(conn);
  let closed = false;
  return Object.assign(conn, {
    async receive(p?: Uint8Array): Promise<[Uint8Array, Deno.Addr]> {
      const [data, addr] = await receive(p);
      await logger.log(name, { event: "data", dir: "in", bytes: data, peer: formatAddr(addr) });
      return [data, addr];
    },
    async send(p: Uint8Array, addr: Deno.Addr): Promise<number> {
      const n = await send(p, addr);
      await logger.log(name, {
        event: "data",
        dir: "out",
        bytes: p.subarray(0, n),
        peer: formatAddr(addr),
      });
      return n;
    },
    close(): void {
      if (!closed) logger.log(name, { event: "closed" });
      closed = true;
      close();
    },
  });
}
