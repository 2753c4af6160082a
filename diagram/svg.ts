/**
 * Draws a {@link Diagram} as a message sequence chart in SVG: one column per lifeline with a
 * header, time running down one row per event (the time axis on the left gives each row's time;
 * a pause of a second or more gets a row of its own), an arrow per send and per received chunk
 * labelled with a preview of the bytes, and a marker for each open, accept, half-close, reset,
 * timeout, error and close. Every element a test or a script may look for carries a data
 * attribute: `data-lifeline`, `data-arrow` (`send`/`recv`, with `data-from`, `data-to`,
 * `data-count`, `data-bytes`) and `data-marker`.
 *
 * @module
 */
import { isText, quote } from "../grammar/render.ts";
import {
  type Diagram,
  type DiagramEvent,
  eventSize,
  GROUP_FROM,
  groupChunks,
  isArrow,
  MARKER_KINDS,
} from "./model.ts";

/**
 * The widest a lifeline's column gets, px: room for a 40-character preview and its size between
 * neighbours. Columns are as narrow as the labels allow (at least {@link MIN_COLUMN}).
 */
export const COLUMN = 380;
/** The narrowest column, px. */
export const MIN_COLUMN = 200;
/** Width of one character of an arrow's label (11 px DejaVu Sans Mono), px. */
const CHAR = 6.7;
/** Height of one row, px. */
export const ROW = 26;
/** Room on the right of the last column for its markers' notes, px. */
export const RIGHT = 160;
/** Width of the time axis on the left, px. */
export const AXIS = 84;
/** Height of the lifeline headers, px. */
export const HEAD = 52;
/** At most this many rows are drawn; the rest are counted in a last row. */
export const MAX_ROWS = 5000;
/** A pause at least this long (µs) gets a row of its own. */
export const PAUSE = 1_000_000;
/** Previews are cut at about this many characters. */
export const PREVIEW = 40;

/** Layout settings; all optional. */
export interface ChartOptions {
  /** Fold runs of chunks in one direction into one arrow: `auto` from {@link GROUP_FROM} arrows. */
  group?: boolean | "auto";
  /** Draw at most this many rows (default {@link MAX_ROWS}). */
  maxRows?: number;
}

/** One row of the chart. */
export type Row =
  | { kind: "event"; event: DiagramEvent }
  | { kind: "pause"; micros: number }
  | { kind: "more"; events: number };

/** A diagram laid out: columns, rows and what was folded. */
export interface Chart {
  diagram: Diagram;
  /** Column index of each lifeline. */
  column: Map<string, number>;
  /** Width of a column, px. */
  col: number;
  rows: Row[];
  width: number;
  /** Height of the body (the rows), without the headers. */
  height: number;
  /** Whether runs of chunks were grouped. */
  grouped: boolean;
  /** Time of the first event (µs), for the axis. */
  t0: number;
  /** Events not drawn because of the row limit. */
  hidden: number;
}

/**
 * Lays a diagram out: its rows (events, pauses), column width and size.
 *
 * @example One row per event, and a row for a pause of a second
 * ```ts
 * import assert from "node:assert/strict";
 * import { layout } from "./svg.ts";
 * const chart = layout({
 *   source: "x", kind: "jsonl", lifelines: [{ id: "a", label: "a" }],
 *   events: [{ t: 0, kind: "open", on: "a" }, { t: 2_000_000, kind: "close", on: "a" }],
 * });
 * assert.deepEqual(chart.rows.map((r) => r.kind), ["event", "pause", "event"]);
 * ```
 */
export function layout(diagram: Diagram, options: ChartOptions = {}): Chart {
  const arrows = diagram.events.filter(isArrow).length;
  const grouped = options.group === "auto" || options.group === undefined
    ? arrows >= GROUP_FROM
    : options.group;
  const events = grouped ? groupChunks(diagram.events) : diagram.events;
  const maxRows = options.maxRows ?? MAX_ROWS;
  const column = new Map(diagram.lifelines.map((l, i) => [l.id, i]));
  const rows: Row[] = [];
  const t0 = events.find((e) => e.t !== undefined)?.t ?? 0;
  let last: number | undefined;
  let drawn = 0;
  for (const event of events) {
    if (drawn >= maxRows) break;
    if (event.t !== undefined && last !== undefined && event.t - last >= PAUSE) {
      rows.push({ kind: "pause", micros: event.t - last });
    }
    if (event.t !== undefined) last = event.t;
    rows.push({ kind: "event", event });
    drawn++;
  }
  const hidden = events.length - drawn;
  if (hidden > 0) rows.push({ kind: "more", events: hidden });
  // As wide as the widest label needs between the lifelines it spans, and the headers need.
  let need = MIN_COLUMN;
  for (const l of diagram.lifelines) {
    need = Math.max(need, Math.min(l.label.length, 40) * 8 + 40, (l.detail?.length ?? 0) * 6 + 40);
  }
  for (const r of rows) {
    if (r.kind !== "event" || !isArrow(r.event)) continue;
    const a = column.get(r.event.on), b = column.get(r.event.peer ?? r.event.on);
    const span = Math.max(1, Math.abs((a ?? 0) - (b ?? a ?? 0)));
    need = Math.max(need, (arrowLabel(r.event).length * CHAR) / span + 40);
  }
  const col = Math.min(COLUMN, Math.ceil(need));
  const width = AXIS + Math.max(1, diagram.lifelines.length) * col + RIGHT;
  const height = rows.length * ROW + 16;
  return { diagram, column, col, rows, width, height, grouped, t0, hidden };
}

/**
 * Escapes text for XML content and attributes, replacing characters XML cannot hold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { esc } from "./svg.ts";
 * assert.equal(esc('<a href="x">&</a>\x01'), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;\ufffd");
 * ```
 */
export function esc(text: string): string {
  return text
    // deno-lint-ignore no-control-regex
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** Bytes without an incomplete UTF-8 sequence at the end (a kept prefix may cut one). */
function wholeChars(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const b = bytes[end - back];
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (need > back) end -= back;
    break;
  }
  return bytes.subarray(0, end);
}

const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");

/**
 * The label of a chunk: its bytes quoted as `recv` shows them when they are text, else `hex`
 * and the bytes in hex; cut at about {@link PREVIEW} characters with `… (N bytes)`. `size` is
 * how many bytes moved when `bytes` holds only the first of them.
 *
 * @example Text, binary and a long payload
 * ```ts
 * import assert from "node:assert/strict";
 * import { previewLabel } from "./svg.ts";
 * const b = (s: string) => new TextEncoder().encode(s);
 * assert.equal(previewLabel(b("hi\n")), '"hi\\n"');
 * assert.equal(previewLabel(new Uint8Array([0, 255])), "hex 00 ff");
 * assert.equal(previewLabel(b("x".repeat(100))), `"${"x".repeat(38)}"… (100 bytes)`);
 * ```
 */
export function previewLabel(bytes: Uint8Array, size = bytes.length, max = PREVIEW): string {
  const whole = wholeChars(bytes);
  if (whole.length === 0 && size === 0) return '""';
  if (isText(whole) && whole.length > 0) {
    let k = Math.min(whole.length, max);
    while (k < whole.length && (whole[k] & 0xc0) === 0x80) k--; // never split a character
    let q = quote(whole.subarray(0, k));
    while (q.length > max && k > 1) {
      k--;
      while (k > 1 && (whole[k] & 0xc0) === 0x80) k--;
      q = quote(whole.subarray(0, k));
    }
    return k < size ? `${q}… (${size} bytes)` : q;
  }
  const n = Math.floor((max - 4) / 3);
  const shown = `hex ${hex(bytes.subarray(0, n))}`;
  return size > n ? `${shown}… (${size} bytes)` : shown;
}

/** The tooltip of a chunk: more of its bytes, and its size. */
function fullPreview(e: DiagramEvent): string {
  const size = eventSize(e);
  const count = (e.count ?? 1) > 1 ? ` in ${e.count} chunks` : "";
  const what = e.note ?? previewLabel(e.bytes ?? new Uint8Array(0), size, 160);
  return `${e.kind === "send" ? "sent" : "received"} ${size} bytes${count}: ${what}`;
}

/** The label drawn on an arrow. */
function arrowLabel(e: DiagramEvent): string {
  const count = e.count ?? 1;
  if (e.note !== undefined) return e.note;
  const bytes = e.bytes ?? new Uint8Array(0);
  if (count === 1) return previewLabel(bytes, eventSize(e));
  return `×${count} ${previewLabel(bytes, eventSize(e), 28)}`;
}

/** The x of a lifeline's centre. */
function xOf(chart: Chart, id: string | undefined): number | undefined {
  const i = id === undefined ? undefined : chart.column.get(id);
  return i === undefined ? undefined : AXIS + i * chart.col + chart.col / 2;
}

/** The time of a row on the axis: milliseconds from the first event, or the script's line. */
function timeLabel(chart: Chart, e: DiagramEvent): string {
  if (e.t === undefined) return e.line === undefined ? "" : `line ${e.line}`;
  return formatMicros(e.t - chart.t0);
}

/**
 * A time on the axis: milliseconds under a second, else seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatMicros } from "./svg.ts";
 * assert.equal(formatMicros(12535), "12.535 ms");
 * assert.equal(formatMicros(3_201_000), "3.201 s");
 * ```
 */
export function formatMicros(us: number): string {
  return us < 1_000_000 ? `${(us / 1000).toFixed(3)} ms` : `${(us / 1e6).toFixed(3)} s`;
}

/** The page and SVG style: fonts, colours, the arrowheads' look. */
export const STYLE = `
svg text { font-family: "DejaVu Sans Mono", "Liberation Mono", ui-monospace, monospace; }
.lbl { font-size: 11px; fill: #1b1f24; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.mk { font-size: 11px; fill: #57606a; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.ax { font-size: 10px; fill: #6e7781; }
.hd { font-size: 13px; font-weight: bold; fill: #1b1f24; }
.hdd { font-size: 10px; fill: #57606a; }
.send line, .send path { stroke: #0b5cad; stroke-width: 1.5; fill: none; }
.recv line, .recv path { stroke: #1a7f37; stroke-width: 1.5; stroke-dasharray: 6 3; fill: none; }
.life { stroke: #d0d7de; stroke-width: 1; stroke-dasharray: 2 4; }
.act { stroke: #8c959f; stroke-width: 2; }
.row:hover { fill: #f6f8fa; }
`.trim();

/** Arrowheads, one per arrow colour. */
const DEFS = `<defs>` +
  `<marker id="h-send" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#0b5cad"/></marker>` +
  `<marker id="h-recv" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1a7f37"/></marker>` +
  `<marker id="h-open" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10" fill="none" stroke="#8c959f" stroke-width="1.5"/></marker>` +
  `</defs>`;

/** A marker's symbol, centred on (x, y). */
function markerShape(kind: string, x: number, y: number): string {
  switch (kind) {
    case "open":
      return `<circle cx="${x}" cy="${y}" r="5" fill="#1a7f37"/>`;
    case "accept":
      return `<path d="M${x},${y - 6} L${x + 6},${y} L${x},${y + 6} L${
        x - 6
      },${y} z" fill="#6f42c1"/>`;
    case "half-close":
      return `<path d="M${x - 6},${y - 4} L${x + 6},${y - 4} L${x},${y + 5} z" fill="#bf8700"/>`;
    case "peer-closed":
      return `<path d="M${x - 6},${y + 4} L${x + 6},${y + 4} L${x},${
        y - 5
      } z" fill="#fff" stroke="#bf8700" stroke-width="1.5"/>`;
    case "reset":
      return `<rect x="${x - 5}" y="${y - 5}" width="10" height="10" fill="#cf222e"/>`;
    case "timeout":
      return `<circle cx="${x}" cy="${y}" r="6" fill="#fff" stroke="#9a6700" stroke-width="1.5"/>` +
        `<path d="M${x},${y - 4} L${x},${y} L${x + 3},${
          y + 2
        }" stroke="#9a6700" stroke-width="1.5" fill="none"/>`;
    case "error":
      return `<path d="M${x},${y - 6} L${x + 6},${y + 5} L${x - 6},${y + 5} z" fill="#cf222e"/>`;
    default: // close
      return `<path d="M${x - 5},${y - 5} L${x + 5},${y + 5} M${x + 5},${y - 5} L${x - 5},${
        y + 5
      }" stroke="#1b1f24" stroke-width="2"/>`;
  }
}

/** The headers of the lifelines, as a group of height {@link HEAD}. */
function headersGroup(chart: Chart): string {
  let out = `<g class="heads">`;
  out += `<text class="ax" x="${AXIS - 10}" y="${HEAD - 8}" text-anchor="end">${
    chart.diagram.kind === "script" ? "script" : "time"
  }</text>`;
  for (const l of chart.diagram.lifelines) {
    const x = xOf(chart, l.id)!;
    const w = chart.col - 24;
    out += `<g data-lifeline="${esc(l.id)}"><title>${esc(l.label)}${
      l.detail ? ` (${esc(l.detail)})` : ""
    }</title>`;
    out += `<rect x="${x - w / 2}" y="6" width="${w}" height="${
      HEAD - 12
    }" rx="4" fill="#f6f8fa" stroke="#8c959f"/>`;
    const label = l.label.length > 40 ? `${l.label.slice(0, 39)}…` : l.label;
    out += `<text class="hd" x="${x}" y="${l.detail ? 24 : 31}" text-anchor="middle">${
      esc(label)
    }</text>`;
    if (l.detail) {
      out += `<text class="hdd" x="${x}" y="38" text-anchor="middle">${esc(l.detail)}</text>`;
    }
    out += `</g>`;
  }
  return out + `</g>`;
}

/** The rows: lifelines, arrows, markers and the time axis, as a group of the body's height. */
function bodyGroup(chart: Chart): string {
  const parts: string[] = [];
  const y = (row: number) => row * ROW + 18;
  // Each lifeline: a faint line all the way down, a solid one from its first event to its close.
  const span = new Map<string, [number, number]>();
  chart.rows.forEach((r, i) => {
    if (r.kind !== "event") return;
    for (const id of [r.event.on, ...(isArrow(r.event) && r.event.peer ? [r.event.peer] : [])]) {
      const s = span.get(id);
      if (!s) span.set(id, [i, i]);
      else s[1] = i;
    }
  });
  const closedAt = new Map<string, number>();
  chart.rows.forEach((r, i) => {
    if (r.kind === "event" && r.event.kind === "close" && r.event.note?.startsWith("closed")) {
      closedAt.set(r.event.on, i);
    }
  });
  for (const l of chart.diagram.lifelines) {
    const x = xOf(chart, l.id)!;
    parts.push(
      `<line class="life" data-line="${
        esc(l.id)
      }" x1="${x}" y1="0" x2="${x}" y2="${chart.height}"/>`,
    );
    const s = span.get(l.id);
    if (s) {
      const end = closedAt.get(l.id) ?? chart.rows.length;
      parts.push(
        `<line class="act" x1="${x}" y1="${y(s[0]) - 8}" x2="${x}" y2="${
          y(Math.max(s[1], end)) - 4
        }"/>`,
      );
    }
  }
  chart.rows.forEach((r, i) => {
    const top = i * ROW;
    const mid = y(i);
    if (r.kind === "pause") {
      parts.push(`<text class="ax" x="${AXIS - 10}" y="${mid}" text-anchor="end">⋮</text>`);
      parts.push(
        `<text class="mk" x="${AXIS + 8}" y="${mid}">… ${formatMicros(r.micros)} later</text>`,
      );
      return;
    }
    if (r.kind === "more") {
      parts.push(
        `<text class="mk" data-more="${r.events}" x="${
          AXIS + 8
        }" y="${mid}">… ${r.events} more events not drawn (at most ${
          chart.rows.length - 1
        } rows)</text>`,
      );
      return;
    }
    const e = r.event;
    const time = timeLabel(chart, e);
    parts.push(
      `<text class="ax" x="${AXIS - 10}" y="${mid + 3}" text-anchor="end">${esc(time)}</text>`,
    );
    if (isArrow(e)) parts.push(arrow(chart, e, top, mid));
    else parts.push(marker(chart, e, mid));
  });
  return `<g class="body">${parts.join("\n")}</g>`;
}

function arrow(chart: Chart, e: DiagramEvent, top: number, mid: number): string {
  const [from, to] = e.kind === "send" ? [e.on, e.peer] : [e.peer, e.on];
  const x1 = xOf(chart, from) ?? xOf(chart, e.on)!;
  const x2 = xOf(chart, to) ?? xOf(chart, e.on)!;
  const ly = mid + 4;
  const attrs =
    `data-arrow="${e.kind}" data-from="${esc(from ?? "")}" data-to="${esc(to ?? "")}" ` +
    `data-count="${e.count ?? 1}" data-bytes="${eventSize(e)}"`;
  const label = esc(arrowLabel(e));
  const title = `<title>${esc(fullPreview(e))}</title>`;
  const head = `marker-end="url(#h-${e.kind})"`;
  if (x1 === x2) {
    // To itself: a loop to the right.
    const d = `M${x1},${ly - 6} h30 v10 h-30`;
    return `<g class="${e.kind}" ${attrs}>${title}<path d="${d}" ${head}/>` +
      `<text class="lbl" x="${x1 + 36}" y="${ly + 2}">${label}</text></g>`;
  }
  const dir = x2 > x1 ? 1 : -1;
  return `<g class="${e.kind}" ${attrs}>${title}<rect class="row" x="${Math.min(x1, x2)}" y="${
    top + 2
  }" width="${Math.abs(x2 - x1)}" height="${ROW - 2}" fill="transparent"/>` +
    `<line x1="${x1 + dir * 3}" y1="${ly}" x2="${x2 - dir * 3}" y2="${ly}" ${head}/>` +
    `<text class="lbl" x="${(x1 + x2) / 2}" y="${ly - 5}" text-anchor="middle">${label}</text></g>`;
}

function marker(chart: Chart, e: DiagramEvent, mid: number): string {
  const x = xOf(chart, e.on)!;
  const cy = mid;
  const note = esc(e.note ?? e.kind);
  let link = "";
  const px = xOf(chart, e.peer);
  if (px !== undefined && px !== x && (e.kind === "open" || e.kind === "accept")) {
    const dir = px > x ? 1 : -1;
    link = `<line x1="${x + dir * 7}" y1="${cy}" x2="${
      px - dir * 4
    }" y2="${cy}" stroke="#8c959f" stroke-width="1" stroke-dasharray="1 3" marker-end="url(#h-open)"/>`;
  }
  // The note goes on the side away from the link, so that it never sits on the line.
  const left = px !== undefined && px > x && link !== "";
  const tx = left ? x - 10 : x + 10;
  const anchor = left ? ` text-anchor="end"` : "";
  return `<g data-marker="${e.kind}" data-on="${esc(e.on)}"><title>${
    esc(e.on)
  }: ${note}</title>${link}` +
    `${markerShape(e.kind, x, cy)}<text class="mk" x="${tx}" y="${
      cy + 4
    }"${anchor}>${note}</text></g>`;
}

/**
 * The legend's entries: what each arrow and marker means, each with its symbol as a small SVG.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { legendItems } from "./svg.ts";
 * const kinds = legendItems().map((i) => i.kind);
 * assert.deepEqual(kinds.slice(0, 3), ["send", "recv", "open"]);
 * assert(legendItems().every((i) => i.svg.startsWith("<svg")));
 * ```
 */
export function legendItems(): { kind: string; text: string; svg: string }[] {
  const items: [string, string][] = [
    ["send", "sent"],
    ["recv", "received chunk"],
    ...MARKER_KINDS.map((k) => [k, k] as [string, string]),
  ];
  return items.map(([kind, text]) => {
    const symbol = kind === "send" || kind === "recv"
      ? `<g class="${kind}"><line x1="2" y1="8" x2="30" y2="8" marker-end="url(#h-${kind})"/></g>`
      : markerShape(kind, 16, 8);
    return {
      kind,
      text,
      svg: `<svg xmlns="http://www.w3.org/2000/svg" width="34" height="16">${symbol}</svg>`,
    };
  });
}

/**
 * The chart as one standalone SVG document (headers on top, then the rows).
 *
 * @example Two lifelines and one arrow
 * ```ts
 * import assert from "node:assert/strict";
 * import { toSvg } from "./svg.ts";
 * const svg = toSvg({
 *   source: "x", kind: "script",
 *   lifelines: [{ id: "a", label: "a" }, { id: "b", label: "b" }],
 *   events: [{ kind: "send", on: "a", peer: "b", bytes: new TextEncoder().encode("hi <3") }],
 * });
 * assert.equal(svg.match(/data-lifeline=/g)?.length, 2);
 * assert.match(svg, /data-arrow="send" data-from="a" data-to="b"/);
 * assert.match(svg, />&quot;hi &lt;3&quot;</);
 * ```
 */
export function toSvg(diagram: Diagram, options: ChartOptions = {}): string {
  const chart = layout(diagram, options);
  return svgDocument(chart);
}

/** The standalone SVG of a laid-out chart. */
function svgDocument(chart: Chart): string {
  const h = HEAD + chart.height;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${chart.width}" height="${h}" ` +
    `viewBox="0 0 ${chart.width} ${h}">${DEFS}<style>${STYLE}</style>` +
    `<rect width="100%" height="100%" fill="#fff"/>${headersGroup(chart)}` +
    `<g transform="translate(0 ${HEAD})">${bodyGroup(chart)}</g></svg>\n`;
}

/**
 * The headers as an SVG of their own (the page keeps them in view while scrolling).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headersSvg, layout } from "./svg.ts";
 * const chart = layout({ source: "x", kind: "script", lifelines: [{ id: "a", label: "a" }], events: [] });
 * assert.match(headersSvg(chart), /<g data-lifeline="a">/);
 * ```
 */
export function headersSvg(chart: Chart): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${chart.width}" height="${HEAD}">${
    headersGroup(chart)
  }</svg>`;
}

/**
 * The rows as an SVG of their own, with the arrowheads' definitions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bodySvg, layout } from "./svg.ts";
 * const chart = layout({
 *   source: "x", kind: "script", lifelines: [{ id: "a", label: "a" }],
 *   events: [{ kind: "timeout", on: "a", note: "timed out", line: 3 }],
 * });
 * assert.match(bodySvg(chart), /data-marker="timeout" data-on="a"/);
 * assert.match(bodySvg(chart), />line 3</);
 * ```
 */
export function bodySvg(chart: Chart): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${chart.width}" height="${chart.height}">${DEFS}${
    bodyGroup(chart)
  }</svg>`;
}
