/**
 * The mock over UDP: serves the conversations of a script of `open udp` sockets on one datagram
 * socket. Each client address (`host:port`) that sends a first datagram is a peer and gets the
 * next conversation. A recorded `send` is one datagram the mock waits for, a recorded read one
 * datagram it sends back; consecutive datagrams stay apart, `from` claims are ignored, and
 * `close` means nothing. A peer is forgotten when its conversation is played to the end, when it
 * sends a different datagram, or when it is quiet for the timeout, so the same address starting
 * again gets a fresh conversation.
 *
 * @module
 */

import { formatDuration } from "../grammar/duration.ts";
import { preview } from "../grammar/render.ts";
import { formatAddr } from "../sockets/address.ts";
import { sameBytes } from "./_private.ts";
import type { Conversation, MockPlay } from "./mock.ts";

/** A client address part-way through its conversation. */
interface Peer {
  /** `peer N`: the Nth peer to start a conversation. */
  who: string;
  conversation: Conversation;
  /** The index of the client datagram it is to send next. */
  next: number;
  /** When it is forgotten unless it sends (ms since the epoch). */
  deadline: number;
}

/** Answers datagrams on `conn` until it closes. */
export async function serveDatagrams(conn: Deno.DatagramConn, play: MockPlay): Promise<void> {
  // In order of deadline: a peer that sends moves to the end.
  const peers = new Map<string, Peer>();
  let count = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const sweep = () => {
    timer = undefined;
    for (const [address, peer] of peers) {
      if (peer.deadline > Date.now()) break;
      peers.delete(address);
      const e = peer.conversation.exchanges[peer.next];
      const expected = "bytes" in e ? preview(e.bytes, 60) : "";
      play.deviation(
        e.line,
        peer.who,
        peer.conversation,
        `the client sent nothing more for ${formatDuration(play.timeout)}; expected ${expected}`,
      );
    }
    arm();
  };
  const arm = () => {
    const first = peers.values().next().value;
    if (timer !== undefined || !first) return;
    timer = setTimeout(sweep, Math.max(0, first.deadline - Date.now()));
  };
  const answer = async (data: Uint8Array, addr: Deno.Addr) => {
    const address = formatAddr(addr);
    let peer = peers.get(address);
    peers.delete(address);
    if (!peer) {
      const who = `peer ${++count}`;
      peer = { who, conversation: play.conversation(count), next: 0, deadline: 0 };
    }
    const { who, conversation } = peer;
    const { exchanges } = conversation;
    const e = exchanges[peer.next];
    if (e?.from !== "client") {
      const what = `a datagram the recording does not have: ${preview(data, 60)}`;
      return play.deviation(conversation.line, who, conversation, `the client sent ${what}`);
    }
    if (!sameBytes(e.bytes, data)) {
      const what = `expected ${preview(e.bytes, 60)}, got ${preview(data, 60)}`;
      return play.deviation(
        e.line,
        who,
        conversation,
        `the client sent a different datagram; ${what}`,
      );
    }
    try {
      for (let r = exchanges[++peer.next]; r?.from === "server"; r = exchanges[++peer.next]) {
        await conn.send(r.bytes, addr);
      }
    } catch (error) {
      return play.deviation(conversation.line, who, conversation, (error as Error).message);
    }
    if (peer.next >= exchanges.length) return play.done(who, conversation);
    peer.deadline = Date.now() + play.timeout;
    peers.set(address, peer);
    arm();
  };
  const buffer = new Uint8Array(64 * 1024);
  try {
    while (true) {
      let received: [Uint8Array, Deno.Addr];
      try {
        received = await conn.receive(buffer);
      } catch (error) {
        if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
          break; // closed
        }
        continue; // an ICMP error from an earlier send may surface here on some systems
      }
      await answer(...received);
    }
  } finally {
    clearTimeout(timer);
  }
}
