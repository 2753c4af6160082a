/**
 * Unix domain stream sockets: `open unix NAME PATH` and `listen unix NAME PATH`.
 *
 * A socket file left behind by an earlier run is never removed silently: listening on it fails
 * with a message that says so, and `--force` replaces it only when it is a socket that nobody
 * answers on. A path that is not a socket is never touched.
 *
 * @module
 */

import { errorCode, SockitError, systemErrorCode } from "../grammar/errors.ts";
import { Listener } from "./listener.ts";
import type { SocketRegistry } from "./registry.ts";
import { StreamSocket } from "./stream_socket.ts";
import { withDeadline } from "./tcp.ts";
import type { TransportOptions } from "./transports.ts";

function why(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.AddrInUse) return "address already in use";
  if (error instanceof Deno.errors.TimedOut) return "timed out";
  return error instanceof Error ? error.message : String(error);
}

/** What a path is, for messages: `socket`, `a directory`, `a symlink` or `a file`. */
function fileKind(info: Deno.FileInfo): string {
  if (info.isSocket) return "socket";
  return info.isDirectory ? "a directory" : info.isSymlink ? "a symlink" : "a file";
}

/** Connects a named Unix stream socket to the socket file at `path`. */
export async function openUnix(
  registry: SocketRegistry,
  name: string,
  path: string,
  options: TransportOptions = {},
): Promise<StreamSocket> {
  registry.checkFreeName(name, "open");
  let conn: Deno.UnixConn;
  try {
    conn = await withDeadline(
      Deno.connect({ transport: "unix", path }),
      options,
      (late) => late.close(),
    );
  } catch (error) {
    if (errorCode(error) === "cancelled") {
      throw new SockitError(`Cannot open "${name}": cancelled`, { code: "cancelled" });
    }
    let reason = why(error);
    const what = await Deno.lstat(path).then(fileKind, () => "missing");
    if (what !== "socket" && what !== "missing") {
      throw new SockitError(`Cannot open "${name}": ${path} is ${what}, not a socket file`, {
        code: "wrong-kind",
        cause: error,
      });
    }
    if (error instanceof Deno.errors.ConnectionRefused) {
      reason = `connection refused: nothing listens on ${path} (a stale socket file?)`;
    } else if (error instanceof Deno.errors.NotFound) reason = `no socket file at ${path}`;
    else reason = `${reason} (${path})`;
    throw new SockitError(`Cannot open "${name}": ${reason}`, {
      code: systemErrorCode(error),
      cause: error,
    });
  }
  registry.checkFreeName(name, "open");
  const socket = new StreamSocket(name, "unix", conn, registry.emit, { role: "client" });
  registry.add(socket);
  return socket;
}

/** True when something accepts connections on the socket file at `path`. */
async function answers(path: string): Promise<boolean> {
  try {
    const conn = await withDeadline(Deno.connect({ transport: "unix", path }), { timeout: 1000 }, (
      late,
    ) => late.close());
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks what is at `path` before listening. Nothing: fine. A socket nobody answers on (left by
 * an earlier run): removed with `force`, otherwise an error that says how. A live socket or any
 * other file: an error, and the file is left alone.
 */
async function clearStale(name: string, path: string, force: boolean): Promise<string | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new SockitError(`Cannot listen "${name}": cannot inspect ${path}: ${why(error)}`, {
      code: systemErrorCode(error),
    });
  }
  if (!info.isSocket) {
    const what = fileKind(info);
    throw new SockitError(
      `Cannot listen "${name}": ${path} exists and is ${what}, not a socket; leaving it alone`,
      { code: "exists" },
    );
  }
  if (await answers(path)) {
    throw new SockitError(`Cannot listen "${name}": ${path} is in use by a running server`, {
      code: "address-in-use",
    });
  }
  if (!force) {
    throw new SockitError(
      `Cannot listen "${name}": ${path} is a stale socket file (nothing answers on it)`,
      { code: "exists", hint: "add --force to replace it" },
    );
  }
  await Deno.remove(path);
  return "replaced a stale socket file";
}

/**
 * Listens on a Unix socket file; accepted peers become `NAME.1`, `NAME.2`, …. Closing the
 * listener removes the socket file it made (only if it is still that socket).
 */
export async function listenUnix(
  registry: SocketRegistry,
  name: string,
  path: string,
  options: TransportOptions = {},
): Promise<Listener> {
  registry.checkFreeName(name, "listen");
  if (path === "") {
    throw new SockitError(`Cannot listen "${name}": the path is empty`, { code: "usage" });
  }
  const note = await clearStale(name, path, options.force === true);
  let listener: Deno.UnixListener;
  try {
    listener = Deno.listen({ transport: "unix", path });
  } catch (error) {
    throw new SockitError(`Cannot listen "${name}": ${why(error)} (${path})`, {
      code: systemErrorCode(error),
      cause: error,
    });
  }
  const made = (await Deno.lstat(path)).ino;
  // Remove our socket file when the listener closes, but never a file someone put there since.
  const cleaning: ListenTransportWithCleanup = {
    addr: listener.addr,
    accept: () => listener.accept(),
    close() {
      listener.close();
      try {
        const now = Deno.lstatSync(path);
        if (now.isSocket && now.ino === made) Deno.removeSync(path);
      } catch { /* already gone */ }
    },
  };
  const socket = new Listener(name, "unix", cleaning, registry.emit, (child, conn) => {
    const s = new StreamSocket(child, "unix", conn, registry.emit, { role: "accepted" });
    registry.add(s);
    return Promise.resolve(s);
  });
  if (note) socket.note = note;
  registry.add(socket);
  return socket;
}

interface ListenTransportWithCleanup {
  accept(): Promise<Deno.Conn>;
  close(): void;
  readonly addr: Deno.Addr;
}
