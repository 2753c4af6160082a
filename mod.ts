/**
 * sockit: an interactive, scriptable socket shell. Use it as a library to drive named
 * sockets with the same commands the shell takes, and get results as data.
 *
 * @example Open an echo-style conversation and read the reply
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shell } from "./mod.ts";
 * await using shell = new Shell();
 * const srv = await shell.execute("listen tcp srv 127.0.0.1:0");
 * if (srv.kind !== "socket") throw new Error("listen failed");
 * await shell.execute(`open tcp a ${srv.info.local}`);
 * await shell.execute("sendline a hello");
 * const line = await shell.execute("recvline srv.1");
 * if (line.kind !== "data") throw new Error("no data");
 * assert(new TextDecoder().decode(line.data) === "hello\n");
 * ```
 *
 * @example Replaying a recorded session
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScript, replay } from "./mod.ts";
 * const script = parseScript([
 *   "listen tcp srv :0",
 *   "open tcp a ${srv.local}",
 *   "sendline srv.1 hi",
 *   "recv a",
 *   '  "hi\\n"',
 * ].join("\n"));
 * const result = await replay(script);
 * assert(result.status === "passed");
 * ```
 *
 * @module
 */
export { type ExecuteOptions, Shell, type ShellOptions } from "./shell/shell.ts";
export type { Matched, Result } from "./commands/result.ts";
export type { Token } from "./grammar/tokenize.ts";
export type {
  ArgKind,
  Args,
  Command,
  CommandContext,
  EventsMode,
  Expected,
  OptionSpec,
  OptionType,
  Policy,
  ScriptSpec,
  Settings,
  Terminal,
  TerminalInput,
  TimestampMode,
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
export { type ErrorCode, type ReadStatus, SockitError } from "./grammar/errors.ts";
export { type DisplayMode, parseRendered, render } from "./grammar/render.ts";
export { type BatchOptions, runBatch } from "./shell/batch.ts";
export { ProgressBar, type ProgressOptions } from "./shell/progress.ts";
export type { Palette } from "./shell/colors.ts";
export { type ReplOptions, runRepl } from "./shell/repl.ts";
export type { Executed } from "./shell/shell.ts";
export type { Delivery } from "./sockets/delivery.ts";
export type { Direction, SocketTap } from "./sockets/tap.ts";
export type { ExpectedReadResult } from "./sockets/receiver.ts";
export type {
  Call,
  DatagramClaims,
  Expectation,
  Script,
  Step,
  Template,
  TemplatePart,
} from "./session/format.ts";
export { type ParseOptions, parseScript } from "./session/parse.ts";
export {
  type Failure,
  replay,
  type ReplayOptions,
  type ScriptResult,
  type StepOutcome,
  type Unread,
} from "./session/replay.ts";
export { replayFile, runTests, type RunTestsOptions } from "./session/run.ts";
export type { RecordingService } from "./commands/record.ts";
export { formatFailure, formatSummary, formatUnread, scriptLine } from "./session/report.ts";
export { updatedSource } from "./session/update.ts";
export { attachRecorder, Recorder } from "./session/recorder.ts";
export { testScripts, type TestScriptsOptions } from "./session/test_scripts.ts";
export { ScriptError } from "./session/_private.ts";
export {
  type Conversation,
  conversations,
  type Exchange,
  type MockOptions,
  type MockServer,
  type MockTransport,
  type Secret,
  startMock,
} from "./session/mock.ts";
export { type ProxyOptions, type RecordingProxy, startProxy } from "./session/proxy.ts";
