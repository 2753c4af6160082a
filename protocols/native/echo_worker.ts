/**
 * Worker entry for the native echo loop: the first message is the {@link EchoLoopSetup}; every
 * event goes back as a message, `stopped` last. See `echo_loop.ts`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { type EchoLoopMessage, type EchoLoopSetup, runEchoLoop } from "./echo_loop.ts";
import { loadLibc } from "./libc.ts";

self.onmessage = (e: MessageEvent<EchoLoopSetup>) => {
  const post = (m: EchoLoopMessage) => self.postMessage(m);
  try {
    const libc = loadLibc();
    if (!libc) throw new Error("libc is not available in the echo worker");
    runEchoLoop(libc, e.data, post);
  } catch (error) {
    post({ type: "error", message: error instanceof Error ? error.message : String(error) });
    post({ type: "stopped" });
  }
  self.close();
};
