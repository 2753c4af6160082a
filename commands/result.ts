import type { ReadStatus } from "../grammar/errors.ts";
import type { SocketInfo } from "../sockets/named_socket.ts";
import type { DisplayMode } from "../grammar/render.ts";

/**
 * What a command returns: data, never printed text. The shell's renderer turns it into
 * lines; a recorder stores it as observations.
 *
 * @example Results are data: check the kind, then read the fields
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * import type { Result } from "./result.ts";
 * await using shell = new Shell();
 * const result: Result = await shell.execute("listen tcp srv 127.0.0.1:0");
 * assert.equal(result.kind, "socket");
 * if (result.kind === "socket") assert.match(result.info.local, /^127\.0\.0\.1:\d+$/);
 * const table = await shell.execute("ls");
 * assert.equal(table.kind === "table" && table.rows.length, 1);
 * ```
 */
export type Result =
  | { kind: "none" }
  /** A short confirmation such as `sent 6 bytes to a`. */
  | { kind: "message"; text: string }
  /** A socket was opened, bound or started listening. */
  | { kind: "socket"; info: SocketInfo; verb: string }
  /** Bytes received from a socket. */
  | {
    kind: "data";
    socket: string;
    status: ReadStatus;
    data: Uint8Array;
    display?: DisplayMode;
    /** For datagrams: the sender, and whether the datagram was cut to fit. */
    from?: string;
    truncated?: boolean;
    /** For a WebSocket message: its kind (a binary one is marked `(binary)`). */
    message?: "text" | "binary";
    /** `--all`: show every byte on a terminal too, past `set display-limit`. */
    all?: boolean;
    /**
     * For `expect` with alternatives: which one matched (1-based, as listed) and its text
     * (`/B/`, `eof`, `timeout`); shown as a `matched 2 /B/` line above the bytes.
     */
    matched?: Matched;
    /** For `expect`: the bytes before the match (for eof, all of them; for timeout, unread). */
    before?: Uint8Array;
  }
  /** Rows of a table such as `ls`. */
  | {
    kind: "table";
    columns: string[];
    rows: string[][];
    /**
     * Columns holding byte counts: exact in the data, shown human-readable (`1.2 KiB`) on a
     * terminal.
     */
    counts?: number[];
    /** The column cut (with `…`) so that rows fit a terminal's width: a free-text note. */
    fit?: number;
    /** A line under the table, such as how many rows were left out. */
    note?: string;
  }
  /** Free text such as help. */
  | { kind: "text"; text: string }
  /** A command run several times (`repeat`): the summary line, and the last run's result. */
  | { kind: "repeated"; text: string; last: Result }
  /** The shell should exit. */
  | { kind: "quit" };

/**
 * Which alternative of `expect NAME /A/ /B/ eof timeout` matched.
 *
 * @example Which alternative of expect matched
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "../shell/shell.ts";
 * await using shell = new Shell();
 * const srv = await shell.execute("listen tcp srv 127.0.0.1:0");
 * if (srv.kind !== "socket") throw new Error("listen failed");
 * await shell.execute(`open tcp a ${srv.info.local}`);
 * await shell.execute("accept srv");
 * await shell.execute('send a "login: "');
 * const got = await shell.execute("expect srv.1 /password/ /login: /");
 * assert.deepEqual(got.kind === "data" && got.matched, { index: 2, text: "/login: /" });
 * ```
 */
export interface Matched {
  /** Its position among the alternatives, from 1. */
  index: number;
  /** As written: `/B/i`, `eof` or `timeout`. */
  text: string;
}

/** The empty result. */
export const NONE: Result = { kind: "none" };
