import { utf8 } from "./_io.ts";
import { BroadcastLog, Outbox } from "./broadcast.ts";
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
