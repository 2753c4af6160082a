import { utf8, writeAll } from "./_io.ts";
import { framer } from "./framing.ts";
import type { Peer, ServerConn, StreamHandler } from "./server.ts";

/** Chat room settings; all optional. */
export interface ChatOptions {
  /**
   * Bytes that may wait to be written to one client (default 1 MiB). A client that falls
   * further behind is dropped with a notice, so it never holds up the others.
   */
  maxQueue?: number;
  /** The longest line a client may send (default 64 KiB); a longer one drops the client. */
  maxLine?: number;
}

/** Default per-client outgoing bound: 1 MiB. */
export const CHAT_MAX_QUEUE = 1024 * 1024;
const CHAT_MAX_LINE = 64 * 1024;
const NICK = /^[^\s:]{1,32}$/u;

/** Bytes a broadcast log block holds (a longer message gets a block of its own size). */
const BLOCK = 64 * 1024;

/** One block of the broadcast log; `used` grows while it is the newest block. */
interface Block {
  readonly data: Uint8Array;
  used: number;
  next?: Block;
}

/**
 * The room's broadcast log: every broadcast message is stored once, appended to a chain of
 * blocks. Outboxes hold ranges of it, so a message sent to 5,000 members costs 5,000 length
 * updates, not 5,000 queue entries. Only the newest block is referenced from here; older blocks
 * stay alive exactly as long as some outbox still has bytes in them (the garbage collector does
 * the bookkeeping).
 */
class BroadcastLog {
  #tail: Block = { data: new Uint8Array(BLOCK), used: 0 };

  /**
   * Appends `message`; returns where it starts and where the log ended before it (a range of
   * some outbox that ends there can grow over the message).
   */
  append(message: Uint8Array): Position {
    let tail = this.#tail;
    const before: Block = tail;
    const beforeOff = tail.used;
    if (tail.used + message.length > tail.data.length) {
      tail = { data: new Uint8Array(Math.max(BLOCK, message.length)), used: 0 };
      this.#tail.next = tail;
      this.#tail = tail;
    }
    const off = tail.used;
    tail.data.set(message, off);
    tail.used += message.length;
    return { block: tail, off, before, beforeOff, length: message.length };
  }
}

interface Position {
  block: Block;
  off: number;
  /** The log's end before this message. */
  before: Block;
  beforeOff: number;
  length: number;
}

/** `length` bytes of the broadcast log from `block.data[off]` on (hopping to `next` blocks). */
interface Range {
  block: Block;
  off: number;
  length: number;
  /** Where the range ends, to tell whether the next broadcast continues it. */
  endBlock: Block;
  endOff: number;
}

/**
 * A client's outgoing queue: ranges of the shared broadcast log, interleaved with the client's
 * own replies (`* welcome`, `/who`, …). A broadcast that directly follows the queue's last range
 * in the log lengthens that range (no allocation), so the queue has a few entries however many
 * messages wait. One write loop per client writes whatever queued up meanwhile, each write one
 * contiguous piece (a reply, or a range's part within one log block as a view of the shared
 * block: nothing is copied per client). Bytes queued plus bytes being written are bounded; past
 * the bound `onOverflow` runs and nothing more is queued.
 */
class Outbox {
  #queue: (Uint8Array | Range)[] = [];
  #queued = 0;
  #writing = false;
  #dead = false;
  #idle: (() => void)[] = [];

  constructor(
    readonly conn: ServerConn,
    readonly peer: Peer,
    readonly limit: number,
    readonly onOverflow: (queued: number) => void,
  ) {}

  get dead(): boolean {
    return this.#dead;
  }

  /** Queues a reply for this client alone. */
  push(message: Uint8Array): void {
    if (this.#dead) return;
    this.#queue.push(message);
    this.#added(message.length);
  }

  /** Queues a message of the broadcast log. */
  pushShared(at: Position): void {
    if (this.#dead) return;
    const last = this.#queue[this.#queue.length - 1];
    if (
      last !== undefined && !(last instanceof Uint8Array) &&
      last.endBlock === at.before && last.endOff === at.beforeOff
    ) {
      last.length += at.length;
    } else {
      this.#queue.push({
        block: at.block,
        off: at.off,
        length: at.length,
        endBlock: at.block,
        endOff: 0,
      });
    }
    const range = this.#queue[this.#queue.length - 1] as Range;
    range.endBlock = at.block;
    range.endOff = at.off + at.length;
    this.#added(at.length);
  }

  #added(bytes: number): void {
    this.#queued += bytes;
    if (this.#queued > this.limit) {
      const queued = this.#queued;
      this.kill();
      this.onOverflow(queued);
      return;
    }
    if (!this.#writing) void this.#flush();
  }

  /**
   * Takes the next contiguous piece off the front of the queue: a reply as it is, or the part
   * of a range that lies in one log block, as a view of the shared block (no copy).
   */
  #take(): Uint8Array {
    const item = this.#queue[0];
    if (item instanceof Uint8Array) {
      this.#queue.shift();
      return item;
    }
    if (item.off === item.block.used) {
      item.block = item.block.next!;
      item.off = 0;
    }
    const n = Math.min(item.length, item.block.used - item.off);
    const piece = item.block.data.subarray(item.off, item.off + n);
    item.off += n;
    item.length -= n;
    if (item.length === 0) this.#queue.shift();
    return piece;
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.#dead) {
        const data = this.#take();
        await writeAll(this.conn, data);
        this.peer.bytesOut += data.length;
        this.#queued -= data.length;
      }
    } catch {
      this.kill(); // the client went away; its reader sees that too
    }
    this.#writing = false;
    for (const wake of this.#idle.splice(0)) wake();
  }

  /** Resolves once everything queued was written (or the client is gone). */
  idle(): Promise<void> {
    if (!this.#writing) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  kill(): void {
    this.#dead = true;
    this.#queue = [];
    this.#queued = 0;
  }
}

interface Member {
  nick?: string;
  outbox: Outbox;
  conn: ServerConn;
  peer: Peer;
  gone: boolean;
}

/** The chat server's lines: what each participant sees. */
export const chatLines = {
  welcome: (nick: string, online: number) => `* welcome ${nick}, ${online} online\n`,
  joined: (nick: string) => `* ${nick} joined\n`,
  left: (nick: string) => `* ${nick} left\n`,
  dropped: (nick: string) => `* ${nick} dropped (not reading)\n`,
  who: (nicks: string[]) => `* online (${nicks.length}): ${nicks.join(", ")}\n`,
  bye: (nick: string) => `* bye ${nick}\n`,
  taken: (nick: string) => `* nickname "${nick}" is taken, pick another\n`,
  badNick: () => `* a nickname is 1-32 characters without spaces or ":", pick another\n`,
  unknown: (command: string) => `* unknown command ${command}; try /who or /quit\n`,
};

/**
 * A chat room (see README "Built-in servers" for the exact lines). A client's first line is its
 * nickname; each later line goes to every other member as `nick: text`; `/who` lists the
 * members; `/quit` leaves. A member's lines reach every other member in the order sent (one
 * event loop handles each sender's lines in order, and each member's queue is FIFO). A member
 * whose queue passes `maxQueue` is dropped with a notice to the others.
 */
export function chatRoom(options: ChatOptions = {}): StreamHandler & { members(): string[] } {
  const maxQueue = options.maxQueue ?? CHAT_MAX_QUEUE;
  const maxLine = options.maxLine ?? CHAT_MAX_LINE;
  const members = new Map<string, Member>();
  const decoder = new TextDecoder();

  const log = new BroadcastLog();

  const broadcast = (from: Member | undefined, message: Uint8Array) => {
    const at = log.append(message);
    for (const m of members.values()) if (m !== from) m.outbox.pushShared(at);
  };

  const leave = (m: Member, line: string | undefined) => {
    if (m.gone) return;
    m.gone = true;
    if (m.nick !== undefined && members.get(m.nick) === m) {
      members.delete(m.nick);
      if (line) broadcast(undefined, utf8(line));
    }
  };

  const drop = (m: Member, queued: number) => {
    m.peer.notice(`dropped: not reading (${queued} bytes queued)`, true);
    leave(m, m.nick === undefined ? undefined : chatLines.dropped(m.nick));
    try {
      m.conn.close(); // ends its read loop
    } catch { /* already closed */ }
  };

  /** Handles one line; returns false when the member quits. */
  const handle = (m: Member, raw: Uint8Array): boolean => {
    const line = raw[raw.length - 1] === 0x0d ? raw.subarray(0, raw.length - 1) : raw;
    if (m.nick === undefined) {
      const nick = decoder.decode(line).trim();
      if (nick === "") return true;
      if (!NICK.test(nick)) m.outbox.push(utf8(chatLines.badNick()));
      else if (members.has(nick)) m.outbox.push(utf8(chatLines.taken(nick)));
      else {
        m.nick = nick;
        members.set(nick, m);
        m.peer.notice(`joined as ${nick}`);
        m.outbox.push(utf8(chatLines.welcome(nick, members.size)));
        broadcast(m, utf8(chatLines.joined(nick)));
      }
      return true;
    }
    if (line.length === 0) return true;
    if (line[0] === 0x2f /* / */) {
      const command = decoder.decode(line).trim();
      if (command === "/quit") {
        m.outbox.push(utf8(chatLines.bye(m.nick)));
        return false;
      }
      if (command === "/who") {
        m.outbox.push(utf8(chatLines.who([...members.keys()])));
        return true;
      }
      if (/^\/[A-Za-z]+$/.test(command)) {
        m.outbox.push(utf8(chatLines.unknown(command)));
        return true;
      }
    }
    const prefix = utf8(`${m.nick}: `);
    const message = new Uint8Array(prefix.length + line.length + 1);
    message.set(prefix);
    message.set(line, prefix.length);
    message[message.length - 1] = 0x0a;
    broadcast(m, message);
    return true;
  };

  return {
    members: () => [...members.keys()],
    async serve(conn: ServerConn, peer: Peer) {
      const m: Member = { conn, peer, gone: false } as Member;
      m.outbox = new Outbox(conn, peer, maxQueue, (queued) => drop(m, queued));
      const lines = framer("line").decoder(maxLine);
      const buf = new Uint8Array(4 * 1024);
      let quit = false;
      try {
        while (!quit && !m.gone) {
          const n = await conn.read(buf);
          if (n === null) break;
          peer.bytesIn += n;
          for (const line of lines.push(buf.subarray(0, n))) {
            if (!handle(m, line)) {
              quit = true;
              break;
            }
          }
        }
      } catch (error) {
        if (m.gone) return; // dropped: the drop closed the connection
        throw error;
      } finally {
        if (m.nick !== undefined && !m.gone) peer.notice("left");
        leave(m, m.nick === undefined ? undefined : chatLines.left(m.nick));
      }
      await m.outbox.idle(); // the last lines (e.g. "* bye") reach the client before close
    },
  };
}
