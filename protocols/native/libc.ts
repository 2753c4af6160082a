/**
 * The few libc calls the native echo loop needs, through `Deno.dlopen` (Linux on x86_64 and
 * aarch64 only; {@link loadLibc} returns undefined anywhere else, or without `--allow-ffi`, and
 * the caller falls back to the `Deno.listen` server).
 *
 * Everything here is synchronous: a blocking call blocks the calling thread, which is why the
 * loop itself runs in a worker.
 *
 * @module
 */

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  accept4: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  inet_pton: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  inet_ntop: { parameters: ["i32", "buffer", "buffer", "u32"], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** Linux constants (the same on x86_64 and aarch64). */
export const C = {
  AF_INET: 2,
  AF_INET6: 10,
  SOCK_STREAM: 1,
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
  SOL_SOCKET: 1,
  SO_REUSEADDR: 2,
  IPPROTO_TCP: 6,
  TCP_NODELAY: 1,
  MSG_DONTWAIT: 0x40,
  MSG_NOSIGNAL: 0x4000,
  EPOLLIN: 0x1,
  EPOLLOUT: 0x4,
  EPOLLERR: 0x8,
  EPOLLHUP: 0x10,
  EPOLL_CTL_ADD: 1,
  EPOLL_CTL_DEL: 2,
  EPOLL_CTL_MOD: 3,
  EPOLL_CLOEXEC: 0o2000000,
  EFD_NONBLOCK: 0o4000,
  EFD_CLOEXEC: 0o2000000,
  EINTR: 4,
  EAGAIN: 11,
  EACCES: 13,
  ENFILE: 23,
  EMFILE: 24,
  EPIPE: 32,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ECONNABORTED: 103,
  ECONNRESET: 104,
} as const;

type Symbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** The libc symbols, the last error number and socket-address helpers for this thread. */
export interface Libc {
  readonly fn: Symbols;
  /** Size of one `struct epoll_event` (12 packed on x86_64, 16 on aarch64). */
  readonly epollEventSize: number;
  /** errno of the last failed call on this thread. */
  errno(): number;
  /** The C library's text for an error number: `Connection reset by peer`. */
  describe(errno: number): string;
  /** A `sockaddr_in`/`sockaddr_in6` for an IP literal, or undefined if `host` is not one. */
  sockaddr(host: string, port: number): Uint8Array | undefined;
  /** `{ hostname, port }` of a `sockaddr_in`/`sockaddr_in6`. */
  address(sockaddr: Uint8Array): { hostname: string; port: number };
}

let cached: Libc | null | undefined;

/**
 * Why the native loop cannot run here, in a few words (`no --allow-ffi`), or undefined when it
 * can. `--allow-ffi` is opt-in: `deno task shell-native` and `deno task sockit-native` grant it.
 */
export function whyNoLibc(): string | undefined {
  if (Deno.build.os !== "linux") return `not on Linux (${Deno.build.os})`;
  if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") {
    return `not on x86_64 or aarch64 (${Deno.build.arch})`;
  }
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return "no --allow-ffi";
  return loadLibc() ? undefined : "libc.so.6 did not load";
}

/** libc for this thread, or undefined where the native loop cannot run (see the module docs). */
export function loadLibc(): Libc | undefined {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  if (Deno.build.os !== "linux") return undefined;
  if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") return undefined;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return undefined;
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch {
    return undefined; // musl or an unusual system: the Deno.listen server still works
  }
  cached = makeLibc(lib.symbols, Deno.build.arch === "x86_64" ? 12 : 16);
  return cached;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function makeLibc(fn: Symbols, epollEventSize: number): Libc {
  const errnoAt = new Deno.UnsafePointerView(fn.__errno_location()!);
  return {
    fn,
    epollEventSize,
    errno: () => errnoAt.getInt32(),
    describe(errno) {
      const text = fn.strerror(errno);
      return text ? Deno.UnsafePointerView.getCString(text) : `error ${errno}`;
    },
    sockaddr(host, port) {
      const text = encoder.encode(host + "\0");
      const raw = new Uint8Array(16);
      if (fn.inet_pton(C.AF_INET, text, raw) === 1) {
        const sa = new Uint8Array(16);
        const view = new DataView(sa.buffer);
        view.setUint16(0, C.AF_INET, true);
        view.setUint16(2, port, false);
        sa.set(raw.subarray(0, 4), 4);
        return sa;
      }
      if (fn.inet_pton(C.AF_INET6, text, raw) === 1) {
        const sa = new Uint8Array(28);
        const view = new DataView(sa.buffer);
        view.setUint16(0, C.AF_INET6, true);
        view.setUint16(2, port, false);
        sa.set(raw, 8);
        return sa;
      }
      return undefined;
    },
    address(sa) {
      const view = new DataView(sa.buffer, sa.byteOffset, sa.byteLength);
      const family = view.getUint16(0, true);
      const port = view.getUint16(2, false);
      const text = new Uint8Array(64);
      const raw = family === C.AF_INET6 ? sa.subarray(8, 24) : sa.subarray(4, 8);
      if (fn.inet_ntop(family, raw, text, text.length) === null) return { hostname: "?", port };
      return { hostname: decoder.decode(text.subarray(0, text.indexOf(0))), port };
    },
  };
}
