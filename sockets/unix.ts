/**
 * Unix domain stream sockets: `open unix NAME PATH` and `listen unix NAME PATH`.
 *
 * A socket file left behind by an earlier run is never removed silently: listening on it fails
 * with a message that says so, and `--force` replaces it only when it is a socket that nobody
 * answers on. A path that is not a socket is never touched. Closing removes the socket file only
 * if it is still the one this listener made. `listen unix` and `serve … unix` both listen through
 * {@link bindUnix}, so the same rules hold for both.
 *
 * @module
 */

import { errorCode, SockitError, systemErrorCode } from "../grammar/errors.ts";
import type { StreamBinding, Who } from "./bind.ts";
import { type Listener, listenStream } from "./listener.ts";
import type { SocketRegistry } from "./registry.ts";
import { StreamSocket, type StreamTransport } from "./stream_socket.ts";
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
  const conn = await dialUnix(name, path, options);
  registry.checkFreeName(name, "open");
  const socket = new StreamSocket(name, "unix", conn, registry.emit, { role: "client" });
  registry.add(socket);
  return socket;
}

/**
 * Connects to the socket file at `path` within the deadline, without registering a socket
 * (`open unix` and the relay's unix targets); errors are one line naming `name` and the path.
 * The connection shows `path` as its peer.
 */
export async function dialUnix(
  name: string,
  path: string,
  options: TransportOptions = {},
): Promise<StreamTransport> {
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
  // The peer is the file we dialled (a sockit listener's socket is bound under a private name).
  return shownAs(conn, { remoteAddr: { transport: "unix", path } });
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
async function clearStale(who: Who, path: string, force: boolean): Promise<string | undefined> {
  const action = `${who.verb} "${who.name}"`;
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new SockitError(`Cannot ${action}: cannot inspect ${path}: ${why(error)}`, {
      code: systemErrorCode(error),
    });
  }
  if (!info.isSocket) {
    const what = fileKind(info);
    throw new SockitError(
      `Cannot ${action}: ${path} exists and is ${what}, not a socket; leaving it alone`,
      { code: "exists" },
    );
  }
  if (await answers(path)) {
    throw new SockitError(`Cannot ${action}: ${path} is in use by a running server`, {
      code: "address-in-use",
    });
  }
  if (!force) {
    throw new SockitError(
      `Cannot ${action}: ${path} is a stale socket file (nothing answers on it)`,
      { code: "exists", hint: "add --force to replace it" },
    );
  }
  await Deno.remove(path);
  return "replaced a stale socket file";
}

/** True when `info` is the very file described by `made` (same device and inode). */
function sameFile(info: Deno.FileInfo, made: Deno.FileInfo): boolean {
  return info.isSocket === true && info.ino === made.ino && info.dev === made.dev;
}

/**
 * A Unix connection that shows the socket file's path as its address: the socket itself may
 * carry the private name it was bound under (see {@link listenAt}).
 */
function shownAs(
  conn: Deno.UnixConn,
  addrs: { localAddr?: Deno.Addr; remoteAddr?: Deno.Addr },
): StreamTransport {
  return {
    read: (p) => conn.read(p),
    write: (p) => conn.write(p),
    closeWrite: () => conn.closeWrite(),
    close: () => conn.close(),
    localAddr: addrs.localAddr ?? conn.localAddr,
    remoteAddr: addrs.remoteAddr ?? conn.remoteAddr,
  };
}

/**
 * Listens at `path` without letting Deno delete it later: Deno's UnixListener unlinks its path
 * when it closes, whatever file is there by then (even one that replaced ours). So the socket is
 * bound under a private name in the same directory and hard-linked to `path` (a link never
 * replaces an existing file), and the private name is dropped: Deno's unlink then finds nothing.
 * Where that is not possible (a private name too long for a socket address), listens at `path`
 * directly.
 */
function listenAt(path: string): Deno.UnixListener {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  const hidden = `${dir}/.sockit-${crypto.randomUUID().slice(0, 8)}`;
  let listener: Deno.UnixListener;
  try {
    listener = Deno.listen({ transport: "unix", path: hidden });
  } catch {
    return Deno.listen({ transport: "unix", path });
  }
  try {
    Deno.linkSync(hidden, path);
  } catch (error) {
    listener.close(); // unlinks the hidden name
    throw error;
  } finally {
    try {
      Deno.removeSync(hidden);
    } catch { /* already gone */ }
  }
  return listener;
}

/**
 * {@link bind} for unix: listens on the socket file at `path` after the stale-file check
 * above. Closing removes the socket file only if it is still the one made here (same device
 * and inode): a file that replaced it meanwhile is never deleted.
 */
export async function bindUnix(path: string, who: Who, force: boolean): Promise<StreamBinding> {
  if (path === "") {
    throw new SockitError(`Cannot ${who.verb} "${who.name}": the path is empty`, {
      code: "usage",
    });
  }
  const note = await clearStale(who, path, force);
  let listener: Deno.UnixListener;
  try {
    listener = listenAt(path);
  } catch (error) {
    const inUse = error instanceof Deno.errors.AddrInUse ||
      error instanceof Deno.errors.AlreadyExists;
    throw new SockitError(
      `Cannot ${who.verb} "${who.name}": ${
        inUse ? "address already in use" : why(error)
      } (${path})`,
      { code: inUse ? "address-in-use" : "failed", cause: error },
    );
  }
  const made = Deno.lstatSync(path);
  // The address as the user gave it (the socket itself may carry the private name it was bound as).
  const addr: Deno.UnixAddr = { transport: "unix", path };
  return {
    kind: "unix",
    addr,
    note,
    async accept() {
      const conn = await listener.accept();
      return { transport: shownAs(conn, { localAddr: addr }) };
    },
    close() {
      listener.close();
      try {
        if (sameFile(Deno.lstatSync(path), made)) Deno.removeSync(path);
      } catch { /* already gone */ }
    },
  };
}

/**
 * Listens on a Unix socket file; accepted peers become `NAME.1`, `NAME.2`, …. Closing the
 * listener removes the socket file it made (only if it is still that socket).
 */
export function listenUnix(
  registry: SocketRegistry,
  name: string,
  path: string,
  options: TransportOptions = {},
): Promise<Listener> {
  return listenStream(registry, "unix", name, path, { force: options.force === true });
}
