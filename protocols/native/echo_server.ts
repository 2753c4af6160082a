/**
 * `serve echo tcp` on the native loop: the listening socket is made here, on the caller's thread
 * (so "address in use" is an ordinary error from `startServer`), then handed to a worker that
 * runs {@link runEchoLoop}. Counters are shared memory; events arrive as worker messages.
 *
 * @module
 */
import type { RunningServer, ServerEventSink, ServerStats } from "../server.ts";
import type { EchoLoopMessage, EchoLoopSetup } from "./echo_loop.ts";
import { C, type Libc, loadLibc, whyNoLibc } from "./libc.ts";

/** Default busy-poll window after a message, in microseconds (see `echo_loop.ts`). */
export const DEFAULT_BUSY_POLL_US = 50;

/** Settings for {@link startNativeEcho}. */
export interface NativeEchoOptions {
  host: string;
  port: number;
  backlog: number;
  busyPollUs: number;
}

/** A runtime error of the kind `Deno.listen` throws, so `netError` words it the same way. */
function listenError(libc: Libc, errno: number): Error {
  const text = `${libc.describe(errno)} (os error ${errno})`;
  if (errno === C.EADDRINUSE) return new Deno.errors.AddrInUse(text);
  if (errno === C.EADDRNOTAVAIL) return new Deno.errors.AddrNotAvailable(text);
  if (errno === C.EACCES) return new Deno.errors.PermissionDenied(text);
  return new Error(text);
}

/**
 * The detail line of an echo server that runs on `Deno.listen` because the native loop cannot
 * run for `host` (see {@link startNativeEcho}): `Deno loop; native loop off: no --allow-ffi`.
 */
export function nativeEchoFallback(host: string): string {
  const why = whyNoLibc() ?? (loadLibc()?.sockaddr(host, 0) ? "unavailable" : "not an IP address");
  const how = why === "no --allow-ffi" ? " (deno task shell-native grants it)" : "";
  return `Deno loop; native loop off: ${why}${how}`;
}

/**
 * Starts the native echo server, or returns undefined where it cannot run (not Linux, no
 * `--allow-ffi`, or a host that is a name rather than an IP address); throws what `Deno.listen`
 * would for a port in use.
 */
export function startNativeEcho(
  options: NativeEchoOptions,
  emit: ServerEventSink,
): NativeEchoServer | undefined {
  const libc = loadLibc();
  const sockaddr = libc?.sockaddr(options.host, options.port);
  if (!libc || !sockaddr) return undefined;
  const { fn } = libc;
  const family = sockaddr.length === 16 ? C.AF_INET : C.AF_INET6;
  const fd = fn.socket(family, C.SOCK_STREAM | C.SOCK_NONBLOCK | C.SOCK_CLOEXEC, 0);
  if (fd < 0) throw listenError(libc, libc.errno());
  const one = new Uint8Array(new Int32Array([1]).buffer);
  fn.setsockopt(fd, C.SOL_SOCKET, C.SO_REUSEADDR, one, 4); // as Deno.listen does
  if (fn.bind(fd, sockaddr, sockaddr.length) !== 0 || fn.listen(fd, options.backlog) !== 0) {
    const error = listenError(libc, libc.errno());
    fn.close(fd);
    throw error;
  }
  const bound = new Uint8Array(28);
  fn.getsockname(fd, bound, new Uint8Array(new Uint32Array([bound.length]).buffer));
  const wakeFd = fn.eventfd(0, C.EFD_CLOEXEC | C.EFD_NONBLOCK);
  if (wakeFd < 0) {
    const error = listenError(libc, libc.errno());
    fn.close(fd);
    throw error;
  }
  const addr: Deno.NetAddr = { transport: "tcp", ...libc.address(bound) };
  return new NativeEchoServer(libc, addr, fd, wakeFd, options.busyPollUs, emit);
}

/** A running native echo server; see the module documentation. */
export class NativeEchoServer implements RunningServer {
  readonly addr: Deno.NetAddr;
  /** Microseconds of busy polling after each message (0: none). */
  readonly busyPollUs: number;
  readonly detail: string;
  #libc: Libc;
  #wakeFd: number;
  #worker: Worker;
  #stats: Float64Array;
  #stopped: Promise<void>;
  #stopping?: Promise<void>;

  constructor(
    libc: Libc,
    addr: Deno.NetAddr,
    listenFd: number,
    wakeFd: number,
    busyPollUs: number,
    emit: ServerEventSink,
  ) {
    this.addr = addr;
    this.busyPollUs = busyPollUs;
    this.detail = `native loop, busy-poll ${busyPollUs ? `${busyPollUs} µs` : "off"}`;
    this.#libc = libc;
    this.#wakeFd = wakeFd;
    const shared = new SharedArrayBuffer(4 * Float64Array.BYTES_PER_ELEMENT);
    this.#stats = new Float64Array(shared);
    this.#worker = new Worker(new URL("./echo_worker.ts", import.meta.url).href, {
      type: "module",
      name: "sockit echo loop",
    });
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#stopped = promise;
    this.#worker.onmessage = (e: MessageEvent<EchoLoopMessage>) => {
      const m = e.data;
      if (m.type === "stopped") finish();
      else emit(m);
    };
    this.#worker.onerror = (e) => {
      e.preventDefault();
      emit({ type: "error", message: `echo loop: ${e.message}` });
      finish();
    };
    const finish = () => {
      this.#worker.terminate();
      if (this.#wakeFd >= 0) libc.fn.close(this.#wakeFd); // ours: the loop only reads it
      this.#wakeFd = -1;
      resolve();
    };
    const setup: EchoLoopSetup = { listenFd, wakeFd, busyPollUs, stats: shared };
    this.#worker.postMessage(setup);
  }

  stats(): ServerStats {
    const s = this.#stats;
    return { active: s[0], total: s[1], bytesIn: s[2], bytesOut: s[3] };
  }

  close(): Promise<void> {
    return this.#stopping ??= this.#stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #stop(): Promise<void> {
    if (this.#wakeFd >= 0) {
      const wake = new Uint8Array(new BigUint64Array([1n]).buffer);
      this.#libc.fn.write(this.#wakeFd, wake, 8n);
    }
    await this.#stopped;
  }
}
