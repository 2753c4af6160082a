/**
 * IPv4/IPv6, TCP and UDP headers for the pcap log (LINKTYPE_RAW: each packet starts with its IP
 * header), with their checksums. Private to log/.
 *
 * @module
 */

/** An IP endpoint: 4 or 16 address bytes and a port. */
export interface Endpoint {
  ip: Uint8Array;
  port: number;
}

/** Parses `127.0.0.1:80` or `[::1]:80` into an endpoint; undefined for anything else. */
export function parseEndpoint(text: string): Endpoint | undefined {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text) ?? /^([\d.]+):(\d+)$/.exec(text);
  if (!m) return undefined;
  const ip = m[1].includes(":") ? parseIPv6(m[1]) : parseIPv4(m[1]);
  return ip && { ip, port: Number(m[2]) };
}

function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return undefined;
  return new Uint8Array(parts);
}

function parseIPv6(text: string): Uint8Array | undefined {
  let tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = parseIPv4(v4[1]);
    if (!b) return undefined;
    tail = [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
    text = text.slice(0, -v4[1].length).replace(/:$/, "") || "::";
    if (text.endsWith(":") && !text.endsWith("::")) text = text.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const words = (s: string) => s === "" ? [] : s.split(":").map((w) => parseInt(w, 16));
  const head = words(halves[0]);
  const rest = halves.length === 2 ? words(halves[1]) : [];
  const fill = 8 - head.length - rest.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const all = [...head, ...new Array(fill).fill(0), ...rest, ...tail];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/**
 * The one's-complement sum of `bytes` as 16-bit big-endian words, added to `sum`. Bulk
 * payloads are summed as little-endian 32-bit words (the sum does not depend on byte order,
 * RFC 1071: it is swapped once at the end), two 16-bit halves at a time.
 */
export function sum16(bytes: Uint8Array, sum = 0): number {
  let i = 0;
  if (bytes.length >= 64 && (bytes.byteOffset & 3) === 0) {
    const words = bytes.length >>> 2;
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    let lo = 0, hi = 0;
    for (let k = 0; k < words; k++) {
      const x = w[k];
      lo += x & 0xffff;
      hi += x >>> 16;
    }
    const swapped = foldSum(lo + hi);
    sum += ((swapped & 0xff) << 8) | (swapped >> 8);
    i = words * 4;
  }
  const n = bytes.length - ((bytes.length - i) & 1);
  for (; i < n; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < bytes.length) sum += bytes[i] << 8;
  return sum;
}

/** Folds carries back in until the sum fits 16 bits. */
function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return sum;
}

/** Folds a sum into a 16-bit checksum. */
function fold(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/** TCP flag bits. */
export const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

/** What a transport header needs to know. */
export interface Segment {
  src: Endpoint;
  dst: Endpoint;
  /** 6 (TCP) or 17 (UDP). */
  proto: 6 | 17;
  payload: Uint8Array;
  seq?: number;
  ack?: number;
  flags?: number;
}

let ipId = 0;

/**
 * TCP segments with more payload than this carry checksum 0 instead of their sum: summing every
 * byte of a bulk transfer a second time cost more than the whole transfer. Interactive traffic
 * stays fully checksummed; a bulk segment reads as a capture behind checksum offload does
 * (Wireshark does not validate TCP checksums unless asked to).
 */
export const CHECKSUM_LIMIT = 16 * 1024;

/**
 * The IP and transport headers of one packet (the payload follows them in the file), with the
 * IPv4 header checksum and the TCP/UDP checksum over pseudo-header, header and payload (TCP:
 * 0 above {@linkcode CHECKSUM_LIMIT} bytes of payload).
 */
export function headers(s: Segment): Uint8Array {
  const six = s.src.ip.length === 16;
  const ipLen = six ? 40 : 20;
  const tLen = s.proto === 6 ? 20 : 8;
  const out = new Uint8Array(ipLen + tLen);
  const v = new DataView(out.buffer);
  const segLen = tLen + s.payload.length;
  if (six) {
    v.setUint32(0, 0x60000000);
    v.setUint16(4, segLen);
    out[6] = s.proto;
    out[7] = 64;
    out.set(s.src.ip, 8);
    out.set(s.dst.ip, 24);
  } else {
    out[0] = 0x45;
    v.setUint16(2, ipLen + segLen);
    v.setUint16(4, ipId = (ipId + 1) & 0xffff);
    v.setUint16(6, 0x4000); // don't fragment
    out[8] = 64;
    out[9] = s.proto;
    out.set(s.src.ip, 12);
    out.set(s.dst.ip, 16);
    v.setUint16(10, fold(sum16(out.subarray(0, 20))));
  }
  const t = ipLen;
  v.setUint16(t, s.src.port);
  v.setUint16(t + 2, s.dst.port);
  if (s.proto === 6) {
    v.setUint32(t + 4, (s.seq ?? 0) >>> 0);
    v.setUint32(t + 8, (s.ack ?? 0) >>> 0);
    out[t + 12] = 5 << 4;
    out[t + 13] = s.flags ?? 0;
    v.setUint16(t + 14, 65535);
  } else {
    v.setUint16(t + 4, segLen);
  }
  if (s.proto === 6 && s.payload.length > CHECKSUM_LIMIT) return out;
  // Pseudo-header: addresses, protocol and the segment's length.
  let sum = sum16(s.src.ip) + sum16(s.dst.ip) + s.proto + segLen;
  sum = sum16(s.payload, sum16(out.subarray(t), sum));
  let check = fold(sum);
  if (s.proto === 17 && check === 0) check = 0xffff; // 0 means "no checksum" for UDP
  v.setUint16(t + (s.proto === 6 ? 16 : 6), check);
  return out;
}
