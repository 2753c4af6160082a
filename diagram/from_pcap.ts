/**
 * Reads a classic pcap into a {@link Diagram}: what sockit's pcap log writes (LINKTYPE_RAW,
 * IPv4 and IPv6, TCP and UDP, docs/log_format.md), and also real captures on the link types
 * tcpdump writes for loopback and Ethernet (`tcpdump -i lo -w`), BSD loopback and Linux cooked
 * captures. One lifeline per IP endpoint (`127.0.0.1:5000`, `[::1]:80`); a SYN is a connect, a
 * SYN-ACK an accept, each data segment an arrow (consecutive segments one way with no other
 * packet of their connection between them are one chunk, as sockit writes a chunk larger than
 * one segment), FIN a half-close (the second FIN closes), RST a reset, a UDP datagram an arrow.
 *
 * @module
 */
import { SockitError } from "../grammar/errors.ts";
import { KEEP_BYTES } from "./from_jsonl.ts";
import { type Diagram, type DiagramEvent, Lifelines } from "./model.ts";

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

/**
 * Whether bytes start with a classic pcap header (either byte order, µs or ns).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPcap } from "./from_pcap.ts";
 * const header = new Uint8Array(24);
 * new DataView(header.buffer).setUint32(0, 0xa1b2c3d4, true);
 * assert.equal(isPcap(header), true);
 * assert.equal(isPcap(new TextEncoder().encode("{\"event\":\"open\"} and more text")), false);
 * ```
 */
export function isPcap(bytes: Uint8Array): boolean {
  if (bytes.length < 24) return false;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = v.getUint32(0, true), be = v.getUint32(0, false);
  return le === MAGIC_US || le === MAGIC_NS || be === MAGIC_US || be === MAGIC_NS;
}

/** The link types read: raw IP, Ethernet, BSD loopback, Linux cooked (v1, v2). */
const LINK_TYPES = new Set([101, 228, 229, 1, 0, 108, 113, 276]);

/** Where the IP header starts in a packet of each link type, or undefined for no IP packet. */
function ipOffset(link: number, p: Uint8Array, v: DataView): number | undefined {
  switch (link) {
    case 101: // RAW
    case 228: // IPV4
    case 229: // IPV6
      return 0;
    case 0: // NULL (BSD loopback, host byte order family)
    case 108: // LOOP
      return 4;
    case 1: { // EN10MB
      let off = 12;
      while (p.length >= off + 2 && (v.getUint16(off) === 0x8100 || v.getUint16(off) === 0x88a8)) {
        off += 4;
      }
      if (p.length < off + 2) return undefined;
      const type = v.getUint16(off);
      return type === 0x0800 || type === 0x86dd ? off + 2 : undefined;
    }
    case 113: // LINUX_SLL
      return p.length >= 16 ? 16 : undefined;
    case 276: // LINUX_SLL2
      return p.length >= 20 ? 20 : undefined;
  }
  return undefined;
}

function ipText(ip: Uint8Array): string {
  if (ip.length === 4) return ip.join(".");
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((ip[i] << 8) | ip[i + 1]).toString(16));
  // The longest run of zero words becomes "::".
  let best = -1, len = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === "0") j++;
    if (j - i > len && j - i > 1) [best, len] = [i, j - i];
    i = j;
  }
  if (best < 0) return words.join(":");
  return `${words.slice(0, best).join(":")}::${words.slice(best + len).join(":")}`;
}

function endpoint(ip: Uint8Array, port: number): string {
  return ip.length === 4 ? `${ipText(ip)}:${port}` : `[${ipText(ip)}]:${port}`;
}

/** One TCP or UDP packet, as much as the diagram needs. */
interface Packet {
  t: number;
  tcp: boolean;
  src: string;
  dst: string;
  flags: number;
  payload: Uint8Array;
}

const FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10;

/** The packets of a pcap; a truncated last record ends the list. */
function packets(bytes: Uint8Array, source: string): Packet[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = v.getUint32(0, true) === MAGIC_US || v.getUint32(0, true) === MAGIC_NS;
  const nanos = v.getUint32(0, le) === MAGIC_NS;
  const link = v.getUint32(20, le) & 0xffff;
  if (!LINK_TYPES.has(link)) {
    throw new SockitError(
      `Cannot diagram "${source}": pcap link type ${link} is not supported`,
      { code: "malformed", hint: "raw IP, Ethernet, loopback and Linux cooked captures are" },
    );
  }
  const out: Packet[] = [];
  for (let off = 24; off + 16 <= bytes.length;) {
    const sec = v.getUint32(off, le), frac = v.getUint32(off + 4, le);
    const caplen = v.getUint32(off + 8, le);
    const start = off + 16;
    off = start + caplen;
    if (off > bytes.length) break;
    const p = bytes.subarray(start, off);
    const pv = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const t = sec * 1e6 + (nanos ? Math.floor(frac / 1000) : frac);
    const ip = ipOffset(link, p, pv);
    if (ip === undefined || p.length < ip + 20) continue;
    const version = p[ip] >> 4;
    let proto: number, src: Uint8Array, dst: Uint8Array, l4: number, end: number;
    if (version === 4) {
      const ihl = (p[ip] & 0x0f) * 4;
      if ((pv.getUint16(ip + 6) & 0x1fff) !== 0) continue; // a later fragment
      proto = p[ip + 9];
      src = p.subarray(ip + 12, ip + 16);
      dst = p.subarray(ip + 16, ip + 20);
      l4 = ip + ihl;
      end = Math.min(p.length, ip + pv.getUint16(ip + 2));
    } else if (version === 6 && p.length >= ip + 40) {
      proto = p[ip + 6];
      src = p.subarray(ip + 8, ip + 24);
      dst = p.subarray(ip + 24, ip + 40);
      l4 = ip + 40;
      end = Math.min(p.length, l4 + pv.getUint16(ip + 4));
    } else continue;
    if (proto === 6 && end >= l4 + 20) {
      const dataAt = l4 + (p[l4 + 12] >> 4) * 4;
      out.push({
        t,
        tcp: true,
        src: endpoint(src, pv.getUint16(l4)),
        dst: endpoint(dst, pv.getUint16(l4 + 2)),
        flags: p[l4 + 13],
        payload: p.subarray(Math.min(dataAt, end), end),
      });
    } else if (proto === 17 && end >= l4 + 8) {
      out.push({
        t,
        tcp: false,
        src: endpoint(src, pv.getUint16(l4)),
        dst: endpoint(dst, pv.getUint16(l4 + 2)),
        flags: 0,
        payload: p.subarray(l4 + 8, end),
      });
    }
  }
  return out;
}

/** sockit's pcap shows Unix connections between these two made-up addresses. */
function detailOf(addr: string, tcp: boolean, role: string): string {
  if (/^127\.0\.0\.[23]:/.test(addr) && tcp) return `unix ${role} (sockit's pseudo-link)`;
  return `${tcp ? "tcp" : "udp"} ${role}`.trim();
}

/**
 * A diagram of a pcap capture.
 *
 * @example The packets sockit's pcap log writes for one connection
 * ```ts
 * import assert from "node:assert/strict";
 * import { BufferedFile } from "../log/file_writer.ts";
 * import { PcapSink } from "../log/pcap.ts";
 * import { fromPcap } from "./from_pcap.ts";
 * const path = await Deno.makeTempFile({ suffix: ".pcap" });
 * const sink = new PcapSink(BufferedFile.open(path));
 * const at = { socket: "a", ts: 0, wall: 0 };
 * sink.write({ ...at, event: "open", transport: "tcp", role: "client",
 *   local: "127.0.0.1:5000", remote: "127.0.0.1:80" });
 * sink.write({ ...at, event: "data", dir: "out", bytes: new TextEncoder().encode("hi") });
 * sink.write({ ...at, event: "closed" });
 * sink.close();
 * const d = fromPcap(await Deno.readFile(path), path);
 * assert.deepEqual(d.lifelines.map((l) => l.id), ["127.0.0.1:5000", "127.0.0.1:80"]);
 * assert.deepEqual(d.events.map((e) => e.kind), ["open", "accept", "send", "half-close"]);
 * await Deno.remove(path);
 * ```
 */
export function fromPcap(bytes: Uint8Array, source: string): Diagram {
  const lifelines = new Lifelines();
  const events: DiagramEvent[] = [];
  /** Per connection (both directions): the last packet's direction, the arrow it made, FINs. */
  const flows = new Map<string, { last?: string; arrow?: DiagramEvent; fins: number }>();
  for (const p of packets(bytes, source)) {
    const key = p.src < p.dst ? `${p.src}|${p.dst}` : `${p.dst}|${p.src}`;
    let flow = flows.get(key);
    if (!flow) flows.set(key, flow = { fins: 0 });
    const dir = `${p.src}>${p.dst}`;
    const syn = (p.flags & SYN) !== 0, ack = (p.flags & ACK) !== 0;
    if (syn && !ack) {
      lifelines.ensure(p.src, detailOf(p.src, true, "client"));
      lifelines.ensure(p.dst, detailOf(p.dst, true, "server"));
      events.push({ t: p.t, kind: "open", on: p.src, peer: p.dst, note: `connect → ${p.dst}` });
      flows.set(key, flow = { fins: 0 });
    } else if (syn) {
      lifelines.ensure(p.src, detailOf(p.src, true, "server"));
      lifelines.ensure(p.dst, detailOf(p.dst, true, "client"));
      events.push({ t: p.t, kind: "accept", on: p.src, peer: p.dst, note: `accepted ${p.dst}` });
    } else {
      lifelines.ensure(p.src, detailOf(p.src, p.tcp, ""));
      lifelines.ensure(p.dst, detailOf(p.dst, p.tcp, ""));
    }
    if (p.payload.length > 0 || !p.tcp) {
      const same = flow.last === dir && flow.arrow && p.tcp;
      if (same) {
        const a = flow.arrow!;
        const kept = a.bytes!;
        if (kept.length < KEEP_BYTES) {
          const joined = new Uint8Array(Math.min(KEEP_BYTES, kept.length + p.payload.length));
          joined.set(kept);
          joined.set(p.payload.subarray(0, joined.length - kept.length), kept.length);
          a.bytes = joined;
        }
        a.size = a.size! + p.payload.length;
      } else {
        const arrow: DiagramEvent = {
          t: p.t,
          kind: "send",
          on: p.src,
          peer: p.dst,
          bytes: p.payload.slice(0, KEEP_BYTES),
          size: p.payload.length,
        };
        events.push(arrow);
        flow.arrow = arrow;
      }
    } else flow.arrow = undefined;
    flow.last = dir;
    if (!p.tcp) continue;
    if (p.flags & FIN) {
      flow.arrow = undefined;
      flow.fins++;
      events.push(
        flow.fins === 1
          ? { t: p.t, kind: "half-close", on: p.src, peer: p.dst, note: "FIN" }
          : { t: p.t, kind: "close", on: p.src, peer: p.dst, note: "FIN (both sides closed)" },
      );
    }
    if (p.flags & RST) {
      flow.arrow = undefined;
      events.push({ t: p.t, kind: "reset", on: p.src, peer: p.dst, note: `RST → ${p.dst}` });
    }
  }
  return { source, kind: "pcap", lifelines: lifelines.list(), events };
}
