/**
 * sockit: an interactive, scriptable socket shell. Use it as a library to drive named
 * sockets with the same commands the shell takes, and get results as data.
 *
 * @example Open an echo-style conversation and read the reply
 * ```ts
 * import { Shell } from "./mod.ts";
 * await using shell = new Shell();
 * const srv = await shell.execute("listen tcp srv 127.0.0.1:0");
 * if (srv.kind !== "socket") throw new Error("listen failed");
 * await shell.execute(`open tcp a ${srv.info.local}`);
 * await shell.execute("sendline a hello");
 * const line = await shell.execute("recvline srv.1");
 * if (line.kind !== "data") throw new Error("no data");
 * console.assert(new TextDecoder().decode(line.data) === "hello\n");
 * ```
 *
 * @module
 */
export { type ExecuteOptions, Shell, type ShellOptions } from "./shell/shell.ts";
export type { Result } from "./commands/result.ts";
export type { Token } from "./shell/tokenize.ts";
export type {
  ArgKind,
  Args,
  Command,
  CommandContext,
  OptionSpec,
  OptionType,
  Settings,
} from "./commands/types.ts";
export { SocketRegistry } from "./sockets/registry.ts";
export type {
  EventSink,
  NamedSocket,
  SocketEvent,
  SocketInfo,
  SocketState,
} from "./sockets/named_socket.ts";
export {
  type ReadOptions,
  type ReadResult,
  ReceiveBuffer,
  type ReceiveBufferOptions,
} from "./sockets/receive_buffer.ts";
export { type ReadStatus, SockitError } from "./sockets/errors.ts";
export { type DisplayMode, parseRendered, render } from "./shell/render.ts";
export { type BatchOptions, runBatch } from "./shell/batch.ts";
export type { Palette } from "./shell/colors.ts";
export { type ReplOptions, runRepl } from "./shell/repl.ts";
