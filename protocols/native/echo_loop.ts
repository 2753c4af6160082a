/**
 * The native echo loop: one thread, one epoll set, every connection of one listening socket.
 * It runs in a worker ({@link ./echo_worker.ts}) because it blocks its thread in `epoll_wait`.
 *
 * Per message: `epoll_wait` → `recv` into one shared 256 KiB buffer → `send` of the same bytes.
 * A connection whose peer does not take the echo stops being read (only `EPOLLOUT` is watched)
 * until its unsent bytes are gone, so memory stays bounded by what one `recv` can return.
 *
 * Busy polling: after a message, the loop keeps asking `epoll_wait` with a zero timeout for up to
 * `busyPollUs` microseconds before it blocks. A request-reply peer's next message then finds the
 * thread running instead of asleep, which on a virtual machine saves the wake-up (tens of µs)
 * that dominates a loopback round trip. An idle server blocks and uses no CPU; `busyPollUs` 0
 * turns polling off. (Linux's own `net.core.busy_read` recommends 50 µs, our default.)
 *
 * @module
 */
import { C, type Libc } from "./libc.ts";

/** What the main thread hands the worker. */
export interface EchoLoopSetup {
  /** A bound, listening, non-blocking TCP socket; the loop closes it when it stops. */
  listenFd: number;
  /** An eventfd: readable means "stop". The main thread owns it (and closes it after `stopped`). */
  wakeFd: number;
  busyPollUs: number;
  /** Float64Array over it: active, total, bytes in, bytes out (read by `stats()`). */
  stats: SharedArrayBuffer;
}

/** What the loop reports, in order. */
export type EchoLoopMessage =
  | { type: "accepted"; id: number; remote: string }
  | { type: "closed"; id: number; remote: string; bytesIn: number; bytesOut: number; why?: string }
  | { type: "error"; message: string }
  | { type: "stopped" };

interface Connection {
  fd: number;
  id: number;
  remote: string;
  bytesIn: number;
  bytesOut: number;
  /** Echo bytes the peer has not taken yet; while set, only EPOLLOUT is watched. */
  unsent?: Uint8Array;
  /** The peer shut down its side: close once `unsent` is gone. */
  ended: boolean;
}

const MAX_EVENTS = 256;
const BUFFER = 256 * 1024;
const BUFFER_SIZE = BigInt(BUFFER);

/** Runs until the wake fd is written; every connection is closed before it returns. */
export function runEchoLoop(libc: Libc, setup: EchoLoopSetup, post: (m: EchoLoopMessage) => void) {
  const { fn } = libc;
  const stats = new Float64Array(setup.stats);
  const ep = fn.epoll_create1(C.EPOLL_CLOEXEC);
  if (ep < 0) throw new Error(`epoll_create1: ${libc.describe(libc.errno())}`);
  const size = libc.epollEventSize;
  const event = new Uint8Array(size);
  const eventView = new DataView(event.buffer);
  const events = new Uint8Array(size * MAX_EVENTS);
  const eventsView = new DataView(events.buffer);
  const buf = new Uint8Array(BUFFER);
  const one = new Uint8Array(new Int32Array([1]).buffer);
  const peerAddr = new Uint8Array(28);
  const peerLen = new Uint32Array(1);
  const peerLenBytes = new Uint8Array(peerLen.buffer);
  const conns = new Map<number, Connection>();
  const sendFlags = C.MSG_NOSIGNAL | C.MSG_DONTWAIT;
  let count = 0;
  let accepting = true;
  let running = true;

  const watch = (op: number, fd: number, mask: number) => {
    eventView.setUint32(0, mask, true);
    eventView.setInt32(4, fd, true); // epoll_data.fd: the low half of the u64, little-endian
    fn.epoll_ctl(ep, op, fd, event);
  };

  const close = (c: Connection, why?: string) => {
    fn.epoll_ctl(ep, C.EPOLL_CTL_DEL, c.fd, event);
    fn.close(c.fd);
    conns.delete(c.fd);
    stats[0] = conns.size;
    const { id, remote, bytesIn, bytesOut } = c;
    post({ type: "closed", id, remote, bytesIn, bytesOut, why });
    if (!accepting && running) {
      accepting = true; // a descriptor is free again
      watch(C.EPOLL_CTL_ADD, setup.listenFd, C.EPOLLIN);
    }
  };

  const failed = (c: Connection, errno: number) =>
    close(c, errno === C.ECONNRESET || errno === C.EPIPE ? "reset by peer" : libc.describe(errno));

  const accept = () => {
    while (true) {
      peerLen[0] = peerAddr.length;
      const fd = fn.accept4(
        setup.listenFd,
        peerAddr,
        peerLenBytes,
        C.SOCK_NONBLOCK | C.SOCK_CLOEXEC,
      );
      if (fd < 0) {
        const errno = libc.errno();
        if (errno === C.EAGAIN || errno === C.EINTR || errno === C.ECONNABORTED) return;
        post({ type: "error", message: `accept: ${libc.describe(errno)}` });
        if (errno === C.EMFILE || errno === C.ENFILE) {
          accepting = false; // until a connection closes, or this loop would spin
          watch(C.EPOLL_CTL_DEL, setup.listenFd, 0);
        }
        return;
      }
      fn.setsockopt(fd, C.IPPROTO_TCP, C.TCP_NODELAY, one, 4);
      const { hostname, port } = libc.address(peerAddr);
      const remote = hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
      const c: Connection = { fd, id: ++count, remote, bytesIn: 0, bytesOut: 0, ended: false };
      conns.set(fd, c);
      stats[0] = conns.size;
      stats[1] = count;
      post({ type: "accepted", id: c.id, remote });
      watch(C.EPOLL_CTL_ADD, fd, C.EPOLLIN);
    }
  };

  /** Sends `data`; keeps what the peer did not take. False if the connection failed. */
  const send = (c: Connection, data: Uint8Array): boolean => {
    const sent = Number(fn.send(c.fd, data, BigInt(data.length), sendFlags));
    if (sent < 0) {
      const errno = libc.errno();
      if (errno !== C.EAGAIN) {
        failed(c, errno);
        return false;
      }
    }
    const done = Math.max(sent, 0);
    c.bytesOut += done;
    stats[3] += done;
    if (done === data.length) return true;
    const wasWaiting = c.unsent !== undefined;
    c.unsent = data.slice(done); // a copy: `data` may be the shared buffer
    if (!wasWaiting) watch(C.EPOLL_CTL_MOD, c.fd, C.EPOLLOUT);
    return true;
  };

  const readable = (c: Connection) => {
    const n = Number(fn.recv(c.fd, buf, BUFFER_SIZE, 0));
    if (n > 0) {
      c.bytesIn += n;
      stats[2] += n;
      send(c, buf.subarray(0, n));
    } else if (n === 0) {
      c.ended = true;
      if (!c.unsent) close(c);
    } else {
      const errno = libc.errno();
      if (errno !== C.EAGAIN && errno !== C.EINTR) failed(c, errno);
    }
  };

  const writable = (c: Connection) => {
    const pending = c.unsent!;
    c.unsent = undefined;
    if (!send(c, pending) || c.unsent) return;
    if (c.ended) close(c);
    else watch(C.EPOLL_CTL_MOD, c.fd, C.EPOLLIN);
  };

  watch(C.EPOLL_CTL_ADD, setup.listenFd, C.EPOLLIN);
  watch(C.EPOLL_CTL_ADD, setup.wakeFd, C.EPOLLIN);
  const pollMs = setup.busyPollUs / 1000;
  let pollUntil = 0;
  try {
    while (running) {
      const polling = pollMs > 0 && performance.now() < pollUntil;
      const n = fn.epoll_wait(ep, events, MAX_EVENTS, polling ? 0 : -1);
      if (n === 0) continue;
      if (n < 0) {
        const errno = libc.errno();
        if (errno === C.EINTR) continue;
        throw new Error(`epoll_wait: ${libc.describe(errno)}`);
      }
      for (let i = 0; i < n; i++) {
        const mask = eventsView.getUint32(i * size, true);
        const fd = eventsView.getInt32(i * size + 4, true);
        if (fd === setup.listenFd) accept();
        else if (fd === setup.wakeFd) running = false;
        else {
          const c = conns.get(fd);
          if (!c) continue;
          if (c.unsent) {
            if (mask & (C.EPOLLOUT | C.EPOLLERR | C.EPOLLHUP)) writable(c);
          } else readable(c);
        }
      }
      if (pollMs > 0) pollUntil = performance.now() + pollMs;
    }
  } finally {
    running = false; // also when the loop failed: every descriptor is closed either way
    fn.close(setup.listenFd);
    for (const c of [...conns.values()]) close(c, "server stopped");
    fn.close(ep);
  }
  post({ type: "stopped" });
}
