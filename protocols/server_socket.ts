import { plural } from "../grammar/plural.ts";
import { type EventSink, NamedSocket, type SocketInfo } from "../sockets/named_socket.ts";
import { showAddr } from "./server.ts";
import { type ServeOptions, startServer } from "./mod.ts";
import type { RunningServer, ServerEvent } from "./server.ts";

/**
 * A built-in server as a named socket in the shell's registry: `ls` shows it as a listener with
 * the protocol and its connection counts in the note, and its events go to the registry like
 * any listener's. Its connections are served by the built-in code, so they are not registered
 * as sockets; events name them `NAME#1`, `NAME#2`, … (a `#` never appears in socket names).
 */
export class ServerSocket extends NamedSocket {
  readonly protocol: string;
  readonly #server: RunningServer;
  readonly #local: string;
  #closed = false;

  private constructor(
    name: string,
    kind: string,
    protocol: string,
    server: RunningServer,
    emit: EventSink,
  ) {
    super(name, kind, emit);
    this.protocol = protocol;
    this.#server = server;
    this.#local = showAddr(server.addr);
  }

  /** Starts `protocol` on `kind` at `address`, reporting events to `emit`. */
  static async start(
    name: string,
    protocol: string,
    kind: string,
    address: string,
    options: ServeOptions,
    emit: EventSink,
  ): Promise<ServerSocket> {
    const holder: { socket?: ServerSocket } = {};
    const forward = (e: ServerEvent) => {
      if (holder.socket) holder.socket.#forward(e);
    };
    const server = await startServer(protocol, kind, address, options, forward, name);
    const socket = new ServerSocket(name, kind, protocol, server, emit);
    holder.socket = socket;
    if (options.frame && options.frame !== "none") socket.frameName = options.frame;
    return socket;
  }

  /** The frame the server cuts messages with, if any. */
  frameName?: string;

  #forward(e: ServerEvent): void {
    const child = (id: number | undefined) => id === undefined ? this.name : `${this.name}#${id}`;
    switch (e.type) {
      case "accepted":
        return this.emit({
          type: "accepted",
          name: this.name,
          child: child(e.id),
          remote: e.remote,
        });
      case "closed":
        return this.emit({ type: "closed", name: child(e.id) });
      case "error":
        return this.emit({ type: "error", name: child(e.id), message: e.message });
      case "notice":
        // Only notices about trouble reach the shell (a chat member dropped); joins stay quiet.
        if (e.trouble) {
          this.emit({ type: "error", name: child(e.id), message: e.text });
        }
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The bound address as Deno reports it. */
  get addr(): Deno.Addr {
    return this.#server.addr;
  }

  info(): SocketInfo {
    const s = this.#server.stats();
    const frame = this.frameName ? ` --frame ${this.frameName}` : "";
    const counts = s.total === 0
      ? ""
      : this.kind === "udp"
      ? `: ${plural(s.total, "peer")}`
      : `: ${s.active} connected, ${s.total} total`;
    return {
      name: this.name,
      kind: this.kind,
      role: "listener",
      state: this.#closed ? "closed" : "listening",
      local: this.#local,
      remote: "-",
      bytesIn: s.bytesIn,
      bytesOut: s.bytesOut,
      buffered: 0,
      note: `${this.protocol}${frame}${counts}`,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#server.close();
    this.emit({ type: "closed", name: this.name });
  }
}
