/**
 * The pcap log: a classic libpcap file (LINKTYPE_RAW, IPv4 and IPv6) that Wireshark and tshark
 * open. Each stream connection is written as a valid TCP stream: a synthetic three-way
 * handshake when it opens, every chunk sent or received as segments of at most
 * {@linkcode MAX_SEGMENT} bytes with running sequence numbers, an ACK from the other side after
 * each chunk, FIN for `shutdown`, peer-closed and `close`, RST for a reset. UDP datagrams are UDP
 * packets. TLS connections show their plaintext (sockit holds the decrypted bytes) as TCP on
 * their real addresses; Unix connections show as TCP between 127.0.0.2 (the connecting side)
 * and 127.0.0.3 (the listening side) on made-up ports. When both ends of a connection are
 * sockets of the log (a shell talking to its own listener), the connection is written once:
 * its handshake from the end that appeared first, each chunk when it was sent (as tcpdump sees
 * it, even when the other end has not read it yet); a datagram between two of its sockets, once,
 * as sent.
 * See docs/log_format.md.
 *
 * @module
 */
import type { BufferedFile } from "./file_writer.ts";
import type { LogRecord, LogSink } from "./record.ts";
import {
  ACK,
  type Endpoint,
  FIN,
  headers,
  parseEndpoint,
  PSH,
  RST,
  type Segment,
  SYN,
} from "./_packets.ts";

/**
 * The largest TCP payload per packet: what fits in one IPv4 packet of 65,535 bytes (65,495),
 * rounded down to a multiple of 4 so that every segment of a bulk chunk stays word-aligned for
 * the checksum.
 */
export const MAX_SEGMENT = 65492;

/** pcap's LINKTYPE_RAW: packets begin with an IPv4 or IPv6 header. */
const LINKTYPE_RAW = 101;
const SNAPLEN = 262144;

/** One TCP connection's state: our endpoint, the peer's, and each side's next sequence number. */
interface Flow {
  /** The socket it is written for. */
  socket: string;
  tcp: boolean;
  us: Endpoint;
  them: Endpoint;
  seqUs: number;
  seqThem: number;
  finUs: boolean;
  finThem: boolean;
  reset: boolean;
  /** The other end is a socket of the log too: data is written from whichever end sends it. */
  mirrored: boolean;
}

/** The pcap file's global header. */
function fileHeader(): Uint8Array {
  const out = new Uint8Array(24);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, SNAPLEN, true);
  v.setUint32(20, LINKTYPE_RAW, true);
  return out;
}

const UNIX_CLIENT = new Uint8Array([127, 0, 0, 2]);
const UNIX_SERVER = new Uint8Array([127, 0, 0, 3]);

/**
 * Writes records as packets.
 *
 * @example A connection that says hello
 * ```ts
 * import assert from "node:assert/strict";
 * import { BufferedFile } from "./file_writer.ts";
 * import { PcapSink } from "./pcap.ts";
 * const path = await Deno.makeTempFile({ suffix: ".pcap" });
 * const sink = new PcapSink(BufferedFile.open(path));
 * const at = { socket: "a", ts: 0, wall: 0 };
 * sink.write({ ...at, event: "open", transport: "tcp", role: "client",
 *   local: "127.0.0.1:5000", remote: "127.0.0.1:80" });
 * sink.write({ ...at, event: "data", dir: "out", bytes: new TextEncoder().encode("hi") });
 * sink.close();
 * // header, SYN, SYN-ACK, ACK, data, ACK: 24 + 3 × (16 + 40) + (16 + 42) + (16 + 40) bytes
 * assert.equal((await Deno.readFile(path)).length, 24 + 3 * 56 + 58 + 56);
 * await Deno.remove(path);
 * ```
 */
export class PcapSink implements LogSink {
  #file: BufferedFile;
  #flows = new Map<string, Flow>();
  /** Open TCP flows by `us>them`, to recognise the other end of a connection. */
  #tuples = new Map<string, Flow>();
  /** UDP addresses of our own sockets: their datagrams are written when sent. */
  #ownUdp = new Map<string, number>();
  /** Sockets that are the other end of a flow already written, with that flow. */
  #mirrors = new Map<string, Flow>();
  #unixPorts = new Map<string, number>();
  #nextClientPort = 40000;
  #isn = 1000;

  constructor(file: BufferedFile) {
    this.#file = file;
    file.write(fileHeader());
  }

  write(r: LogRecord): void {
    const mirrored = this.#mirrors.get(r.socket);
    if (mirrored) {
      // The other end's FIN is the written flow's peer FIN; its bytes are written already.
      if (r.event === "shutdown" || r.event === "closed") {
        if (this.#flows.get(mirrored.socket) === mirrored && !mirrored.finThem && !mirrored.reset) {
          this.#fin(mirrored, r, false);
        }
      }
      // Its sends are the written flow's peer's; what it receives was written when sent.
      if (r.event === "data" && r.dir === "out" && this.#flows.get(mirrored.socket) === mirrored) {
        return this.#stream(mirrored, r, r.bytes, false);
      }
      if (r.event === "closed") this.#mirrors.delete(r.socket);
      if (r.event !== "open") return;
      this.#mirrors.delete(r.socket);
    }
    const flow = this.#flows.get(r.socket);
    switch (r.event) {
      case "open":
        return this.#open(r);
      case "data":
        if (!flow) return;
        if (!flow.tcp) return this.#datagram(flow, r, r.bytes);
        if (flow.mirrored && r.dir === "in") return; // written when the other end sent it
        return this.#stream(flow, r, r.bytes, r.dir === "out");
      case "shutdown":
        if (flow?.tcp && !flow.finUs && !flow.reset) this.#fin(flow, r, true);
        return;
      case "peer-closed":
        if (flow?.tcp && !flow.finThem && !flow.reset) this.#fin(flow, r, false);
        return;
      case "reset":
        if (flow?.tcp && !flow.reset) {
          flow.reset = true;
          return this.#packet(r, {
            src: flow.them,
            dst: flow.us,
            proto: 6,
            payload: new Uint8Array(0),
            seq: flow.seqThem,
            ack: flow.seqUs,
            flags: RST | ACK,
          });
        }
        return;
      case "closed":
        if (flow?.tcp && !flow.finUs && !flow.reset) this.#fin(flow, r, true);
        if (flow) this.#forget(r.socket, flow);
        return;
    }
    return;
  }

  close(): void {
    this.#file.close();
  }

  #forget(socket: string, flow: Flow): void {
    this.#flows.delete(socket);
    const key = tuple(flow.us, flow.them);
    if (this.#tuples.get(key) === flow) this.#tuples.delete(key);
    if (!flow.tcp) {
      const own = endpointKey(flow.us);
      const n = (this.#ownUdp.get(own) ?? 1) - 1;
      if (n > 0) this.#ownUdp.set(own, n);
      else this.#ownUdp.delete(own);
    }
  }

  #open(r: LogRecord & { event: "open" }): void {
    const old = this.#flows.get(r.socket);
    if (old) this.#forget(r.socket, old);
    const tcp = r.transport !== "udp";
    if (r.role === "listener" || (r.role === "bound" && !tcp)) {
      // A bound UDP socket sends from its own address to whoever it names.
      if (!tcp) {
        const us = parseEndpoint(r.local);
        if (us) this.#udp(r.socket, this.#flow(false, us, us));
      }
      return;
    }
    let us: Endpoint | undefined, them: Endpoint | undefined;
    if (r.transport === "unix") {
      const path = r.role === "client" ? r.remote : r.local;
      let port = this.#unixPorts.get(path);
      if (port === undefined) this.#unixPorts.set(path, port = 10000 + this.#unixPorts.size);
      const server = { ip: UNIX_SERVER, port };
      const client = { ip: UNIX_CLIENT, port: this.#nextClientPort++ };
      [us, them] = r.role === "client" ? [client, server] : [server, client];
    } else {
      us = parseEndpoint(r.local);
      them = parseEndpoint(r.remote);
    }
    if (!us || !them) return;
    if (us.ip.length !== them.ip.length) return;
    const flow = this.#flow(tcp, us, them);
    if (!tcp) return void this.#udp(r.socket, flow);
    // The other end of a connection already written: it tells the whole story.
    const other = this.#tuples.get(tuple(them, us));
    if (other) {
      other.mirrored = true;
      return void this.#mirrors.set(r.socket, other);
    }
    flow.socket = r.socket;
    this.#flows.set(r.socket, flow);
    this.#tuples.set(tuple(us, them), flow);
    // The three-way handshake, from whichever side dialled.
    const empty = new Uint8Array(0);
    const [a, b] = r.role === "accepted" ? [them, us] : [us, them];
    const [seqA, seqB] = r.role === "accepted"
      ? [flow.seqThem, flow.seqUs]
      : [flow.seqUs, flow.seqThem];
    this.#packet(r, { src: a, dst: b, proto: 6, payload: empty, seq: seqA - 1, flags: SYN });
    this.#packet(r, {
      src: b,
      dst: a,
      proto: 6,
      payload: empty,
      seq: seqB - 1,
      ack: seqA,
      flags: SYN | ACK,
    });
    return this.#packet(r, {
      src: a,
      dst: b,
      proto: 6,
      payload: empty,
      seq: seqA,
      ack: seqB,
      flags: ACK,
    });
  }

  #udp(socket: string, flow: Flow): void {
    this.#flows.set(socket, flow);
    const own = endpointKey(flow.us);
    this.#ownUdp.set(own, (this.#ownUdp.get(own) ?? 0) + 1);
  }

  #flow(tcp: boolean, us: Endpoint, them: Endpoint): Flow {
    const seqUs = (this.#isn += 100_000_007) >>> 0;
    const seqThem = (this.#isn += 100_000_007) >>> 0;
    return {
      socket: "",
      tcp,
      us,
      them,
      seqUs,
      seqThem,
      finUs: false,
      finThem: false,
      reset: false,
      mirrored: false,
    };
  }

  /** A chunk as segments from its sender (`out`: from us), then one ACK from the receiver. */
  #stream(flow: Flow, r: LogRecord, bytes: Uint8Array, out: boolean): void {
    const [src, dst] = out ? [flow.us, flow.them] : [flow.them, flow.us];
    for (let off = 0; off < bytes.length; off += MAX_SEGMENT) {
      const payload = bytes.subarray(off, off + MAX_SEGMENT);
      const seq = out ? flow.seqUs : flow.seqThem;
      const ack = out ? flow.seqThem : flow.seqUs;
      this.#packet(r, { src, dst, proto: 6, payload, seq, ack, flags: PSH | ACK });
      if (out) flow.seqUs = (flow.seqUs + payload.length) >>> 0;
      else flow.seqThem = (flow.seqThem + payload.length) >>> 0;
    }
    if (bytes.length > 0) this.#ack(flow, r, !out);
  }

  /** A pure ACK from us (`fromUs`) or from the peer, acknowledging everything so far. */
  #ack(flow: Flow, r: LogRecord, fromUs: boolean): void {
    return this.#packet(r, {
      src: fromUs ? flow.us : flow.them,
      dst: fromUs ? flow.them : flow.us,
      proto: 6,
      payload: new Uint8Array(0),
      seq: fromUs ? flow.seqUs : flow.seqThem,
      ack: fromUs ? flow.seqThem : flow.seqUs,
      flags: ACK,
    });
  }

  /** FIN from us or from the peer, and the other side's ACK of it. */
  #fin(flow: Flow, r: LogRecord, fromUs: boolean): void {
    this.#packet(r, {
      src: fromUs ? flow.us : flow.them,
      dst: fromUs ? flow.them : flow.us,
      proto: 6,
      payload: new Uint8Array(0),
      seq: fromUs ? flow.seqUs : flow.seqThem,
      ack: fromUs ? flow.seqThem : flow.seqUs,
      flags: FIN | ACK,
    });
    if (fromUs) {
      flow.finUs = true;
      flow.seqUs = (flow.seqUs + 1) >>> 0;
    } else {
      flow.finThem = true;
      flow.seqThem = (flow.seqThem + 1) >>> 0;
    }
    this.#ack(flow, r, !fromUs);
  }

  #datagram(flow: Flow, r: LogRecord, bytes: Uint8Array): void {
    const peer = r.event === "data" && r.peer !== undefined ? parseEndpoint(r.peer) : flow.them;
    if (!peer || peer.ip.length !== flow.us.ip.length) return;
    const out = r.event === "data" && r.dir === "out";
    if (!out && this.#ownUdp.has(endpointKey(peer))) return; // written when it was sent
    const [src, dst] = out ? [flow.us, peer] : [peer, flow.us];
    return this.#packet(r, { src, dst, proto: 17, payload: bytes });
  }

  /** One packet record: pcap header, IP and transport headers, payload. */
  #packet(r: LogRecord, s: Segment): void {
    const head = headers(s);
    const rec = new Uint8Array(16);
    const v = new DataView(rec.buffer);
    const micros = Math.round(r.wall * 1000);
    v.setUint32(0, Math.floor(micros / 1e6), true);
    v.setUint32(4, micros % 1e6, true);
    const len = head.length + s.payload.length;
    v.setUint32(8, len, true);
    v.setUint32(12, len, true);
    this.#file.write(rec);
    this.#file.write(head);
    this.#file.write(s.payload);
  }
}

function endpointKey(e: Endpoint): string {
  return `${e.ip.join(".")}/${e.port}`;
}

function tuple(a: Endpoint, b: Endpoint): string {
  return `${endpointKey(a)}>${endpointKey(b)}`;
}
