import { plural } from "../grammar/plural.ts";
import { type ServeOptions, type ServerEvent, startServer } from "./mod.ts";
import { showAddr } from "./server.ts";

/** Settings for {@link serveForeground}; all optional but `signal`. */
export interface ForegroundOptions extends ServeOptions {
  /** Log only the listening and stopped lines (for benchmarks with thousands of clients). */
  quiet?: boolean;
  /** Receives each log line (default: stdout). */
  write?: (line: string) => void;
  /** Stops the server: every connection is closed, then the promise resolves. */
  signal: AbortSignal;
}

/** One log line for a server event: `#1 accepted from 127.0.0.1:52210`. */
export function logLine(e: ServerEvent): string {
  const who = "id" in e && e.id !== undefined ? `#${e.id} ` : "";
  switch (e.type) {
    case "accepted":
      return `${who}accepted from ${e.remote}`;
    case "closed":
      return `${who}closed (in ${plural(e.bytesIn, "byte")}, out ${plural(e.bytesOut, "byte")})` +
        (e.why ? `: ${e.why}` : "");
    case "notice":
      return `${who}${e.text}`;
    case "error":
      return `${who}error: ${e.message}`;
  }
}

const encoder = new TextEncoder();

/**
 * `sockit serve PROTOCOL TRANSPORT ADDR`: runs a built-in server with one log line per event
 * until `signal` aborts, then closes every connection and returns. The first line is
 * `PROTOCOL listening on TRANSPORT ADDRESS`, then how it runs where that matters
 * (`(native loop, busy-poll 50 µs)`); the last is `stopped`.
 */
export async function serveForeground(
  protocol: string,
  transport: string,
  address: string,
  options: ForegroundOptions,
): Promise<void> {
  const write = options.write ?? ((line: string) => {
    Deno.stdout.writeSync(encoder.encode(line + "\n"));
  });
  const log = options.quiet ? () => {} : (e: ServerEvent) => write(logLine(e));
  const server = await startServer(protocol, transport, address, options, log);
  const frame = options.frame && options.frame !== "none" ? ` --frame ${options.frame}` : "";
  write(`${protocol}${frame} listening on ${transport} ${showAddr(server.addr)}`);
  if (server.detail) write(`(${server.detail})`);
  if (!options.signal.aborted) {
    await new Promise<void>((resolve) =>
      options.signal.addEventListener("abort", () => resolve(), { once: true })
    );
  }
  const { active } = server.stats();
  write(`stopping: closing ${active} connection${active === 1 ? "" : "s"}`);
  await server.close();
  write("stopped");
}
