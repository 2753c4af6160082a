/**
 * The diagram as a self-contained HTML page: no scripts, no network, no CDN; the SVG inline.
 * A header names the file and counts lifelines, arrows, markers and bytes, with a legend. For
 * long sessions the lifeline headers stay at the top of the window while the rows scroll under
 * them, and from {@link GROUP_FROM} arrows on, runs of consecutive chunks in one direction
 * between the same two lifelines are drawn as one arrow (`×N`, their total size).
 *
 * @module
 */
import { type Diagram, eventSize, GROUP_FROM, isArrow } from "./model.ts";
import {
  bodySvg,
  type ChartOptions,
  esc,
  formatMicros,
  headersSvg,
  layout,
  legendItems,
  STYLE,
} from "./svg.ts";
import { plural } from "../grammar/plural.ts";

const KIND_NAMES = { script: "recorded script", jsonl: "JSON Lines log", pcap: "pcap capture" };

/** The page's own style, beside the chart's. */
const PAGE_STYLE = `
body { margin: 0; font: 14px/1.4 system-ui, "DejaVu Sans", sans-serif; color: #1b1f24; background: #fff; }
header.top { padding: 12px 16px 4px; }
header.top h1 { font-size: 17px; margin: 0 0 2px; font-family: "DejaVu Sans Mono", ui-monospace, monospace; }
header.top p { margin: 2px 0; color: #57606a; }
ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 18px; padding: 0; margin: 6px 0; font-size: 12px; color: #57606a; }
ul.legend li { display: inline-flex; align-items: center; gap: 4px; }
.chart { position: relative; }
.heads { position: sticky; top: 0; z-index: 1; background: #fff; border-bottom: 1px solid #d0d7de; }
.heads svg, .chart > svg { display: block; }
`.trim();

/**
 * What the page's header says: the counts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summary } from "./html.ts";
 * const line = summary({
 *   source: "x", kind: "pcap", lifelines: [{ id: "a", label: "a" }, { id: "b", label: "b" }],
 *   events: [{ t: 0, kind: "send", on: "a", peer: "b", bytes: new Uint8Array(5) }],
 * });
 * assert.equal(line, "pcap capture: 2 lifelines, 1 arrow (1 sent, 0 received), 0 markers, 5 bytes");
 * ```
 */
export function summary(diagram: Diagram): string {
  const arrows = diagram.events.filter(isArrow);
  const sends = arrows.filter((e) => e.kind === "send").length;
  const markers = diagram.events.length - arrows.length;
  const bytes = arrows.reduce((n, e) => n + eventSize(e), 0);
  const times = diagram.events.flatMap((e) => e.t === undefined ? [] : [e.t]);
  const span = times.length > 1 ? `, ${formatMicros(times.at(-1)! - times[0])}` : "";
  return `${KIND_NAMES[diagram.kind]}: ${plural(diagram.lifelines.length, "lifeline")}, ` +
    `${plural(arrows.length, "arrow")} (${sends} sent, ${arrows.length - sends} received), ` +
    `${plural(markers, "marker")}, ${plural(bytes, "byte")}${span}`;
}

/**
 * The page for a diagram.
 *
 * @example A page with its lifelines and arrows inline
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHtml } from "./html.ts";
 * const page = toHtml({
 *   source: "chat.jsonl", kind: "jsonl",
 *   lifelines: [{ id: "a", label: "a" }, { id: "b", label: "b" }],
 *   events: [{ t: 0, kind: "send", on: "a", peer: "b", bytes: new TextEncoder().encode("hi") }],
 * });
 * assert.match(page, /^<!doctype html>/);
 * assert.match(page, /<h1>chat\.jsonl<\/h1>/);
 * assert.equal(page.match(/data-arrow=/g)?.length, 1);
 * assert.doesNotMatch(page, /<script|https?:\/\/(?!www\.w3\.org)/);
 * ```
 */
export function toHtml(diagram: Diagram, options: ChartOptions = {}): string {
  const chart = layout(diagram, options);
  const notes: string[] = [];
  if (chart.grouped) {
    notes.push(
      `Runs of consecutive chunks in one direction between the same two lifelines are drawn as ` +
        `one arrow (×N, total size), since the session has ${GROUP_FROM} arrows or more.`,
    );
  }
  if (chart.hidden > 0) notes.push(`The last ${plural(chart.hidden, "event")} are not drawn.`);
  const time = diagram.kind === "script"
    ? "Rows follow the script's lines."
    : "One row per event, time running down (left: time since the first event).";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="sockit diagram">
<title>${esc(diagram.source)} — sockit diagram</title>
<style>
${PAGE_STYLE}
${STYLE}
</style>
</head>
<body>
<header class="top">
<h1>${esc(diagram.source)}</h1>
<p class="counts">${esc(summary(diagram))}</p>
<ul class="legend">${
    legendItems().map((i) => `<li data-legend="${i.kind}">${i.svg}${esc(i.text)}</li>`).join("")
  }</ul>
<p class="note">${esc([time, ...notes].join(" "))}</p>
</header>
<div class="chart" style="width: ${chart.width}px">
<div class="heads">${headersSvg(chart)}</div>
${bodySvg(chart)}
</div>
</body>
</html>
`;
}
