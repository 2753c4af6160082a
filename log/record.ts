/**
 * What a log holds: one {@link LogRecord} per fact about a socket, stamped with the time. Both
 * formats (JSON Lines and pcap) are written from these records, so they tell the same story.
 *
 * @module
 */
import type { ErrorCode } from "../grammar/errors.ts";
import type { Direction } from "../sockets/tap.ts";

/** The facts a log records about one socket, before they are stamped. */
export type LogFact =
  /** A socket exists: opened, accepted, bound, or already open when the log started. */
  | {
    event: "open";
    /** tcp, tls, unix, udp, ws or wss. */
    transport: string;
    /** client, accepted, listener or bound. */
    role: string;
    /** Our address (a path for unix). */
    local: string;
    /** The peer's address, or `-`. */
    remote: string;
  }
  /**
   * Bytes moved; `bytes` is only valid during the call (copy to keep), unless they are stable
   * (`isStable` of grammar/bytes.ts). `kind`: a WebSocket message's, whose payload `bytes` is.
   */
  | { event: "data"; dir: Direction; bytes: Uint8Array; peer?: string; kind?: "text" | "binary" }
  /** A listener accepted a connection (its child then has its own `open`). */
  | { event: "accepted"; child: string; remote: string }
  /** We shut our side down for writing (FIN from us). */
  | { event: "shutdown" }
  /** The peer ended its side (FIN from the peer). */
  | { event: "peer-closed" }
  /** The peer reset the connection (RST from the peer). */
  | { event: "reset"; message: string }
  /** Another failure on the socket. */
  | { event: "error"; message: string; code?: ErrorCode }
  /** The socket is closed (by us, or evicted with a reason). */
  | { event: "closed"; reason?: string };

/** A fact with its socket and time: what a {@link LogSink} writes. */
export type LogRecord = LogFact & {
  /** The socket's name in the shell (`a`, `srv.1`), or a name the caller chose. */
  socket: string;
  /** Microseconds since the log started (monotonic). */
  ts: number;
  /** Wall-clock time in ms since the epoch (the start's wall clock plus `ts`). */
  wall: number;
};

/**
 * A log format: takes records in order, writes them, and finishes the file. Sinks run on the
 * log writer's thread (`log/log_worker.ts`) and write synchronously.
 */
export interface LogSink {
  /** Writes one record. */
  write(record: LogRecord): void;
  /** Writes what is buffered and closes the file; throws if a write failed. */
  close(): void;
}
