/**
 * UDP: `listen udp` binds a socket whose senders each become a named child (`NAME.1`, …), and
 * `open udp` makes a datagram socket with a default peer. Both keep datagram boundaries (see
 * {@link DatagramQueue}).
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { formatAddr, formatHostPort, parseHostPort, requirePeerPort } from "./address.ts";
import { DatagramQueue, type DatagramReadResult, type DatagramView } from "./datagram_queue.ts";
import { SockitError, systemErrorCode, systemReason } from "../grammar/errors.ts";
import { bindUdp } from "./bind.ts";
import { netError } from "./errors_map.ts";
import { type EventSink, NamedSocket, type SocketInfo } from "./named_socket.ts";
import type { ReadOptions } from "./receive_buffer.ts";
import type { SocketRegistry } from "./registry.ts";
import { type Delivery, pause } from "./delivery.ts";

/** Bigger than any UDP payload (65,507 bytes over IPv4, 65,527 over IPv6): nothing is cut. */
const RECEIVE_SIZE = 65536;

/** How many peers (children) a bound socket keeps by default (`listen udp … --max-peers N`). */
export const DEFAULT_MAX_PEERS = 1024;

/** Resolves a host name (through the system resolver, so /etc/hosts counts) to an IP. */
export async function resolveHost(host: string, action: string): Promise<string> {
  if (/^[\d.]+$/.test(host) || host.includes(":")) return host;
  try {
    return (await lookup(host)).address;
  } catch {
    throw new SockitError(`Cannot ${action}: host not found: ${host}`, { code: "not-found" });
  }
}

function isLoopback(ip: string): boolean {
  return ip.startsWith("127.") || ip === "::1";
}

/** What `sendto`/`recvfrom` need from any UDP socket. */
export interface DatagramSocket extends NamedSocket {
  readonly buffer: DatagramView;
  /** Sends one datagram to `HOST:PORT`. */
  sendTo(address: string, data: Uint8Array): Promise<number>;
}

/** The bound socket and its receive loop, shared by a listener and its children. */
class Endpoint {
  readonly conn: Deno.DatagramConn;
  readonly queue = new DatagramQueue();
  readonly local: string;
  closed = false;
  /** When set, datagrams from senders it refuses are not queued, only counted in `ignored`. */
  filter?: (from: string) => boolean;
  ignored = 0;
  /** How its owner delivers datagrams (`sockit test --delay`): each waits before it is queued. */
  delivery?: () => Delivery | undefined;
  #loop: Promise<void>;
  #onDatagram: (from: string, data: Uint8Array, queued: boolean) => void;
  #onError: (message: string) => void;

  constructor(
    conn: Deno.DatagramConn,
    onDatagram: (from: string, data: Uint8Array, queued: boolean) => void,
    onError: (message: string) => void,
  ) {
    this.conn = conn;
    this.local = formatAddr(conn.addr);
    this.#onDatagram = onDatagram;
    this.#onError = onError;
    this.#loop = this.#receive();
  }

  async #receive(): Promise<void> {
    const scratch = new Uint8Array(RECEIVE_SIZE);
    while (!this.closed) {
      let data: Uint8Array;
      let addr: Deno.Addr;
      try {
        [data, addr] = await this.conn.receive(scratch);
      } catch (error) {
        if (this.closed) return;
        // An ICMP error from an earlier send may surface here on some systems; keep receiving.
        this.#onError(error instanceof Error ? error.message : String(error));
        continue;
      }
      const from = formatAddr(addr);
      if (this.filter && !this.filter(from)) {
        this.ignored++;
        continue;
      }
      const delivery = this.delivery?.();
      if (delivery) {
        data = data.slice();
        await pause(delivery);
        if (this.closed) return;
      }
      this.#onDatagram(from, data, this.queue.push(data, from));
    }
  }

  async sendTo(name: string, address: string, data: Uint8Array): Promise<number> {
    if (this.closed) {
      throw new SockitError(`Cannot send to "${name}": socket is closed`, { code: "closed" });
    }
    const { host, port } = parseHostPort(address, `send to "${name}"`);
    requirePeerPort(port, `send to "${name}"`);
    const hostname = await resolveHost(host, `send to "${name}"`);
    const shown = formatHostPort(hostname, port);
    const bound = this.conn.addr as Deno.NetAddr;
    if (hostname.includes(":") && !bound.hostname.includes(":")) {
      throw new SockitError(
        `Cannot send to "${name}": ${shown} is IPv6, and "${name}" is bound to IPv4 ${
          formatAddr(bound)
        }`,
        { code: "usage", hint: "for IPv6, listen udp NAME [::1]:0 (or [::]:0)" },
      );
    }
    try {
      return await this.conn.send(data, { transport: "udp", hostname, port });
    } catch (error) {
      if (systemErrorCode(error) === "too-large") {
        throw new SockitError(
          `Cannot send to "${name}": a ${data.length}-byte datagram is too long for UDP`,
          { code: "too-large" },
        );
      }
      throw netError("send to", name, shown, error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch { /* already closed */ }
    this.queue.end();
    await this.#loop;
  }
}

/** A UDP peer: `open udp`'s socket, or a bound socket's child for one sender. */
export class UdpPeer extends NamedSocket implements DatagramSocket {
  readonly buffer: DatagramView;
  readonly role: "client" | "accepted";
  readonly peer: string;
  #endpoint: Endpoint;
  #owner: boolean;
  #closed = false;
  #host: string;
  #port: number;

  constructor(
    name: string,
    endpoint: Endpoint,
    peer: { host: string; port: number },
    emit: EventSink,
    role: "client" | "accepted",
  ) {
    super(name, "udp", emit);
    this.#endpoint = endpoint;
    this.#owner = role === "client";
    this.role = role;
    this.#host = peer.host;
    this.#port = peer.port;
    this.peer = formatHostPort(peer.host, peer.port);
    this.buffer = endpoint.queue.view(this.peer);
  }

  get closed(): boolean {
    return this.#closed || this.#endpoint.closed;
  }

  info(): SocketInfo {
    const e = this.#endpoint;
    const dropped = this.#owner && e.queue.dropped
      ? `${e.queue.dropped} datagrams dropped (queue full)`
      : undefined;
    const ignored = this.#owner && e.ignored
      ? `${e.ignored} datagrams from other senders ignored`
      : undefined;
    return {
      name: this.name,
      kind: "udp",
      role: this.role,
      state: this.closed ? "closed" : "open",
      local: this.#endpoint.local,
      remote: this.peer,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      buffered: this.buffer.size,
      note: [this.note, dropped, ignored].filter(Boolean).join("; ") || undefined,
    };
  }

  /** Sends `data` as one datagram to the peer. */
  async write(data: Uint8Array): Promise<number> {
    if (this.closed) {
      throw new SockitError(`Cannot send to "${this.name}": socket is closed`, { code: "closed" });
    }
    const n = await this.#endpoint.sendTo(this.name, this.peer, data);
    this.bytesOut += n;
    this.tap?.data(this, "out", data.subarray(0, n), this.peer);
    return n;
  }

  /** Sends one datagram to another address from the same socket. */
  async sendTo(address: string, data: Uint8Array): Promise<number> {
    const n = await this.#endpoint.sendTo(this.name, address, data);
    this.bytesOut += n;
    this.tap?.data(this, "out", data.subarray(0, n), address);
    return n;
  }

  /** Counts a datagram from the peer (called by the receive loop). */
  received(data: Uint8Array): void {
    this.tap?.data(this, "in", data, this.peer);
    this.bytesIn += data.length;
    this.emit({ type: "data", name: this.name, bytes: data.length, buffered: this.buffer.size });
  }

  /** Reads one datagram, as the view does. */
  recv(max: number, opts?: ReadOptions): Promise<DatagramReadResult> {
    return this.buffer.recv(max, opts);
  }

  get hostPort(): { host: string; port: number } {
    return { host: this.#host, port: this.#port };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owner) await this.#endpoint.close();
    this.emit({ type: "closed", name: this.name });
  }

  /**
   * Closes a bound socket's child to make room for a new peer, saying why in the closed event.
   * Its unread datagrams stay queued: the bound socket still reads them.
   */
  evict(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit({ type: "closed", name: this.name, reason });
  }
}

/**
 * `listen udp NAME ADDR`: a bound UDP socket. The first datagram from each new sender makes a
 * child `NAME.N` for that peer (an `accepted` event), so a test can answer each peer apart;
 * `recv`/`recvfrom` on the bound socket read every sender's datagrams in arrival order.
 */
export class UdpListener extends NamedSocket implements DatagramSocket {
  readonly buffer: DatagramView;
  readonly children: string[] = [];
  #endpoint!: Endpoint;
  /** Children by peer address, least recently heard from first. */
  #peers = new Map<string, UdpPeer>();
  #maxPeers: number;
  #count = 0;
  #registry: SocketRegistry;
  #memberships = new Map<string, Deno.MulticastV4Membership | Deno.MulticastV6Membership>();

  constructor(
    name: string,
    conn: Deno.DatagramConn,
    registry: SocketRegistry,
    maxPeers = DEFAULT_MAX_PEERS,
  ) {
    super(name, "udp", registry.emit);
    this.#registry = registry;
    this.#maxPeers = maxPeers;
    this.#endpoint = new Endpoint(
      conn,
      (from, data, queued) => this.#arrived(from, data, queued),
      (message) => this.emit({ type: "error", name: this.name, message }),
    );
    this.#endpoint.delivery = () => this.delivery;
    this.buffer = this.#endpoint.queue.all;
  }

  get closed(): boolean {
    return this.#endpoint.closed;
  }

  /** The bound address, e.g. `127.0.0.1:40211`. */
  get local(): string {
    return this.#endpoint.local;
  }

  info(): SocketInfo {
    const notes = [this.note];
    if (this.#memberships.size) notes.push(`multicast ${[...this.#memberships.keys()].join(", ")}`);
    if (this.#endpoint.queue.dropped) {
      notes.push(`${this.#endpoint.queue.dropped} datagrams dropped (queue full)`);
    }
    return {
      name: this.name,
      kind: "udp",
      role: "bound",
      state: this.closed ? "closed" : "listening",
      local: this.local,
      remote: "-",
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      buffered: this.buffer.size,
      note: notes.filter(Boolean).join("; ") || undefined,
    };
  }

  #arrived(from: string, data: Uint8Array, queued: boolean): void {
    const bytes = data.length;
    this.bytesIn += bytes;
    let child = this.#peers.get(from);
    if (child && !child.closed) {
      this.#peers.delete(from); // heard from now: the most recently active peer
      this.#peers.set(from, child);
    } else {
      this.#peers.delete(from);
      this.#makeRoom();
      const next = this.#registry.nextChild(this.name, this.#count);
      this.#count = next.number;
      const childName = next.name;
      const { host, port } = parseHostPort(from, "receive");
      child = new UdpPeer(childName, this.#endpoint, { host, port }, this.emit, "accepted");
      this.#peers.set(from, child);
      this.children.push(childName);
      this.#registry.add(child);
      this.emit({ type: "accepted", name: this.name, child: childName, remote: from });
    }
    if (queued) child.received(data);
    else {
      this.emit({
        type: "error",
        name: child.name,
        message: `dropped a ${bytes}-byte datagram: receive queue full`,
      });
    }
  }

  /**
   * At the peer bound, forgets the peer heard from least recently: a closed child's entry, or
   * an open child, which is evicted (a closed event with the reason) and leaves `ls`.
   */
  #makeRoom(): void {
    while (this.#peers.size >= this.#maxPeers) {
      const [address, oldest] = this.#peers.entries().next().value!;
      this.#peers.delete(address);
      if (oldest.closed) continue;
      oldest.evict(`evicted: the peer heard from least recently, at ${this.#maxPeers} peers`);
      this.#registry.delete(oldest.name);
      const i = this.children.indexOf(oldest.name);
      if (i >= 0) this.children.splice(i, 1);
    }
  }

  /** Sends one datagram to `HOST:PORT`. */
  async sendTo(address: string, data: Uint8Array): Promise<number> {
    const n = await this.#endpoint.sendTo(this.name, address, data);
    this.bytesOut += n;
    this.tap?.data(this, "out", data.subarray(0, n), address);
    return n;
  }

  /** Joins a multicast group on an interface (an IPv4 address, or an IPv6 interface index). */
  async join(group: string, iface?: string): Promise<void> {
    const action = `join multicast group ${group} on "${this.name}"`;
    if (this.#memberships.has(group)) {
      throw new SockitError(`Cannot ${action}: already a member`, { code: "exists" });
    }
    if (!isMulticast(group)) {
      throw new SockitError(`Cannot ${action}: ${group} is not a multicast address`, {
        code: "usage",
        hint: "IPv4 groups are 224.0.0.0-239.255.255.255 (e.g. 239.1.2.3); IPv6 ones start ff",
      });
    }
    try {
      const membership = group.includes(":")
        ? await this.#endpoint.conn.joinMulticastV6(group, Number(iface ?? 0))
        : await this.#endpoint.conn.joinMulticastV4(group, iface ?? "0.0.0.0");
      await membership.setLoopback(true);
      this.#memberships.set(group, membership);
    } catch (error) {
      throw new SockitError(`Cannot ${action}: ${systemReason(error)}`, {
        code: systemErrorCode(error),
        cause: error,
      });
    }
  }

  /** Leaves a multicast group joined with {@link UdpListener.join}. */
  async leave(group: string): Promise<void> {
    const membership = this.#memberships.get(group);
    if (!membership) {
      throw new SockitError(
        `Cannot leave multicast group ${group} on "${this.name}": not a member`,
        { code: "not-found" },
      );
    }
    this.#memberships.delete(group);
    await membership.leave();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const membership of this.#memberships.values()) {
      await membership.leave().catch(() => {});
    }
    this.#memberships.clear();
    await this.#endpoint.close();
    for (const child of this.#peers.values()) await child.close();
    this.emit({ type: "closed", name: this.name });
  }
}

/** Binds `listen udp NAME ADDR`, joining `--multicast` groups when asked. */
export async function listenUdp(
  registry: SocketRegistry,
  name: string,
  address: string,
  options: { multicast?: string | string[]; interface?: string; "max-peers"?: number } = {},
): Promise<UdpListener> {
  registry.checkFreeName(name, "listen");
  const maxPeers = options["max-peers"] ?? DEFAULT_MAX_PEERS;
  if (!(maxPeers >= 1)) {
    throw new SockitError(`Cannot listen "${name}": --max-peers must be at least 1`, {
      code: "usage",
    });
  }
  const { conn } = bindUdp(address, { verb: "listen", name });
  const socket = new UdpListener(name, conn, registry, maxPeers);
  const groups = options.multicast === undefined
    ? []
    : Array.isArray(options.multicast)
    ? options.multicast
    : [options.multicast];
  try {
    for (const group of groups) await socket.join(group, options.interface);
  } catch (error) {
    await socket.close();
    throw error;
  }
  registry.add(socket);
  return socket;
}

/** Whether `group` is an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address. */
function isMulticast(group: string): boolean {
  if (group.includes(":")) return /^ff[0-9a-f]{2}:/i.test(group);
  const m = /^(\d{1,3})\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.exec(group);
  return m !== null && Number(m[1]) >= 224 && Number(m[1]) <= 239;
}

/**
 * `open udp NAME HOST:PORT`: a datagram socket with a default peer. It binds an ephemeral port
 * (on loopback when the peer is on loopback), sends to the peer, and keeps only the peer's
 * datagrams, as a connected UDP socket does.
 */
export async function openUdp(
  registry: SocketRegistry,
  name: string,
  address: string,
  options: { bind?: string } = {},
): Promise<UdpPeer> {
  registry.checkFreeName(name, "open");
  const { host, port } = parseHostPort(address, `open "${name}"`);
  const ip = await resolveHost(host, `open "${name}"`);
  requirePeerPort(port, `open "${name}"`);
  const six = ip.includes(":");
  const local = isLoopback(ip) ? (six ? "::1" : "127.0.0.1") : (six ? "::" : "0.0.0.0");
  // --bind ADDR[:PORT] chooses the source address and port (parsed in socket_options.ts).
  const from = options.bind !== undefined
    ? (await import("./socket_options.ts")).parseBind(options.bind, `open "${name}"`)
    : { host: local, port: 0 };
  const { conn } = bindUdp(formatHostPort(from.host, from.port), { verb: "open", name });
  let socket: UdpPeer | undefined = undefined;
  const endpoint = new Endpoint(
    conn,
    (from, data, queued) => {
      if (socket && from === socket.peer && queued) socket.received(data);
    },
    (message) => registry.emit({ type: "error", name, message }),
  );
  socket = new UdpPeer(name, endpoint, { host: ip, port }, registry.emit, "client");
  endpoint.delivery = () => socket?.delivery;
  // Datagrams from anyone else are not for this socket (a connected socket never sees them).
  const peer = socket.peer;
  endpoint.filter = (from) => from === peer;
  registry.checkFreeName(name, "open");
  registry.add(socket);
  return socket;
}
