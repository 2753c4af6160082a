/**
 * `sockit diagram`: the readers on a real chat session (the built-in chat server, three clients
 * on loopback) logged as JSON Lines and pcap and recorded as a script, the SVG's lifelines and
 * arrows, and the page rendered by a real browser (headless Chromium): its DOM has the
 * lifelines and arrows, its screenshot shows them. `SOCKIT_DIAGRAM_DOCS=1` also writes the
 * README's picture, docs/diagram.png.
 */
import assert from "node:assert/strict";
import { fromJsonl } from "../diagram/from_jsonl.ts";
import { fromPcap } from "../diagram/from_pcap.ts";
import { fromScript } from "../diagram/from_script.ts";
import { readDiagram } from "../diagram/detect.ts";
import { toHtml } from "../diagram/html.ts";
import { isArrow } from "../diagram/model.ts";
import { HEAD, layout, toSvg } from "../diagram/svg.ts";
import { eventually, sockit } from "./_helpers.ts";
import { Shell } from "../shell/shell.ts";

const decoder = new TextDecoder();

/** The README's example: three members of the built-in chat room talk, one leaves. */
const CHAT_SESSION = [
  "serve chat tcp room :0",
  "open tcp alice ${room.local}",
  "open tcp bob ${room.local}",
  "open tcp carol ${room.local}",
  "sendline alice alice",
  "recvline alice",
  "sendline bob bob",
  "recvline bob",
  "recvline alice",
  "sendline carol carol",
  "recvline carol",
  "recvline alice",
  "recvline bob",
  "sendline alice hi all",
  "recvline bob",
  "recvline carol",
  "sendline bob /who",
  "recvline bob",
  'send carol hex:00ff01 "\\n"',
  "recvline alice",
  "recvline bob",
  "sendline carol /quit",
  "recvline carol",
  "recvline alice",
  "recvline bob",
  "shutdown bob",
  "close alice bob carol",
];

/** The lines each member receives, in order (the session reads every one of them). */
const RECEIVED = {
  alice: [
    "* welcome alice, 1 online\n",
    "* bob joined\n",
    "* carol joined\n",
    "carol: \x00\xff\x01\n",
    "* carol left\n",
  ],
  bob: [
    "* welcome bob, 2 online\n",
    "* carol joined\n",
    "alice: hi all\n",
    "* online (3): alice, bob, carol\n",
    "carol: \x00\xff\x01\n",
    "* carol left\n",
  ],
  carol: ["* welcome carol, 3 online\n", "alice: hi all\n", "* bye carol\n"],
};
const SENT = { alice: 2, bob: 2, carol: 3 };

/** Runs the chat session in `sockit` with `flags` (`--log F`, `--record F`) in `dir`. */
async function chat(dir: string, ...flags: string[]): Promise<void> {
  const run = await sockit(flags, CHAT_SESSION.join("\n") + "\n");
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /\* carol left/, `${dir}: ${run.stdout}`);
}

/** One chat session logged as JSON Lines and recorded as a script, another logged as pcap. */
async function chatFiles(): Promise<{ dir: string; jsonl: string; pcap: string; script: string }> {
  const dir = await Deno.makeTempDir({ prefix: "sockit-diagram-" });
  const files = {
    dir,
    jsonl: `${dir}/chat.jsonl`,
    pcap: `${dir}/chat.pcap`,
    script: `${dir}/chat.sockit`,
  };
  await chat(dir, "--log", files.jsonl, "--record", files.script);
  await chat(dir, "--log", files.pcap);
  return files;
}

const files = await chatFiles();

/** The data records of the JSON Lines log: what the arrows must be. */
async function dataRecords(): Promise<{ socket: string; dir: string; size: number }[]> {
  return (await Deno.readTextFile(files.jsonl)).trim().split("\n").map((l) => JSON.parse(l))
    .filter((r) => r.event === "data");
}

/** Bytes of an arrow, as latin1 text (what the chat lines are made of). */
const text = (bytes?: Uint8Array) => bytes ? String.fromCharCode(...bytes) : "";

Deno.test("a JSON Lines log of three chat members has their lifelines and the room's, and an arrow per chunk", async () => {
  const d = fromJsonl(await Deno.readTextFile(files.jsonl), files.jsonl);
  assert.deepEqual(d.lifelines.map((l) => l.id), ["room", "alice", "bob", "carol"]);
  const arrows = d.events.filter(isArrow);
  const records = await dataRecords();
  assert.equal(arrows.length, records.length);
  for (const member of ["alice", "bob", "carol"] as const) {
    const mine = arrows.filter((a) => a.on === member);
    assert(mine.every((a) => a.peer === "room"), `${member} talks to the room only`);
    const got = mine.filter((a) => a.kind === "recv").map((a) => text(a.bytes)).join("");
    assert.equal(got, RECEIVED[member].join(""));
    assert.equal(mine.filter((a) => a.kind === "send").length, SENT[member]);
  }
  const kinds = new Set(d.events.map((e) => `${e.kind} ${e.on}`));
  for (const k of ["open room", "accept room", "open alice", "half-close bob", "close carol"]) {
    assert(kinds.has(k), `no ${k} marker in ${[...kinds]}`);
  }
});

Deno.test("a pcap of the same session has one lifeline per endpoint and an arrow per chunk each way", async () => {
  const d = fromPcap(await Deno.readFile(files.pcap), files.pcap);
  assert.equal(d.lifelines.length, 4, d.lifelines.map((l) => l.id).join(" "));
  const server = d.lifelines[1].id; // the first connection's SYN: client, then server
  const arrows = d.events.filter(isArrow);
  const received = Object.values(RECEIVED).flat().length;
  assert.equal(arrows.filter((a) => a.on === server).length, received);
  assert.equal(arrows.filter((a) => a.peer === server).length, 2 + 2 + 3);
  const all = arrows.filter((a) => a.on === server).map((a) => text(a.bytes)).join("");
  for (const line of Object.values(RECEIVED).flat()) assert(all.includes(line), line);
  assert.equal(d.events.filter((e) => e.kind === "open").length, 3);
  assert.equal(d.events.filter((e) => e.kind === "accept").length, 3);
  assert(d.events.some((e) => e.kind === "half-close"), "bob's shutdown is a FIN");
});

Deno.test("a tcpdump capture on lo (Ethernet link type) of an echo session reads as one connection", async () => {
  await using shell = new Shell();
  await shell.execute("serve echo tcp e :0");
  const server = shell.registry.get("e", "test").info().local;
  const port = server.split(":").at(-1)!;
  const file = `${files.dir}/lo.pcap`;
  const dump = new Deno.Command("tcpdump", {
    args: ["-i", "lo", "-U", "-n", "-s", "0", "-w", file, `tcp port ${port}`],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = dump.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (let said = ""; !said.includes("listening on");) {
      const { value, done } = await stderr.read();
      if (done) throw new Error(`tcpdump cannot capture on lo (it needs root): ${said}`);
      said += value;
    }
    await shell.execute(`open tcp a ${server}`);
    await shell.execute("sendline a hello");
    await shell.execute("recvline a");
    await shell.execute("close a");
    const d = await eventually(async () => {
      const d = fromPcap(await Deno.readFile(file), file);
      return d.events.filter((e) => e.kind === "half-close" || e.kind === "close").length === 2 &&
        d;
    }, "tcpdump to see both FINs");
    assert.deepEqual(
      d.lifelines.map((l) => l.id).sort(),
      [
        shell.registry.get("a", "test").info().local,
        server,
      ].sort(),
    );
    const arrows = d.events.filter(isArrow);
    assert.deepEqual(arrows.map((a) => [a.peer, text(a.bytes)]), [
      [server, "hello\n"],
      [shell.registry.get("a", "test").info().local, "hello\n"],
    ]);
  } finally {
    dump.kill("SIGINT");
    await dump.status;
    stderr.releaseLock();
    await dump.stderr.cancel().catch(() => {});
  }
});

Deno.test("the recorded script of the session has the same lifelines and an arrow per send and read", async () => {
  const source = await Deno.readTextFile(files.script);
  const d = fromScript(source, files.script);
  assert.deepEqual(d.lifelines.map((l) => l.id), ["room", "alice", "bob", "carol"]);
  const arrows = d.events.filter(isArrow);
  const sends = CHAT_SESSION.filter((l) => /^send/.test(l)).length;
  const reads = CHAT_SESSION.filter((l) => /^recv/.test(l)).length;
  assert.equal(arrows.filter((a) => a.kind === "send").length, sends);
  assert.equal(arrows.filter((a) => a.kind === "recv").length, reads);
  assert(arrows.every((a) => a.peer === "room"));
  const carol = arrows.filter((a) => a.on === "carol" && a.kind === "send").map((a) =>
    text(a.bytes)
  );
  assert.deepEqual(carol, ["carol\n", "\x00\xff\x01\n", "/quit\n"]);
  assert.deepEqual(d.events.find((e) => e.kind === "half-close")?.on, "bob");
  assert(d.events.every((e) => typeof e.line === "number"), "a script's rows are its lines");
});

Deno.test("a script's timeouts, ends of stream and own listener's children are drawn as such", () => {
  const d = fromScript(
    [
      "listen tcp srv :0",
      "open tcp a ${srv.local}",
      "open tcp b ${srv.local}",
      "send srv.* hi",
      "recv b",
      '  "hi"',
      "recv a --timeout 50ms",
      '  ! Cannot recv from "a": timed out after 50ms (nothing buffered)',
      "close srv.1",
      "recv a",
      '  ! Cannot recv from "a": end of stream, peer closed (nothing buffered)',
    ].join("\n") + "\n",
    "t.sockit",
  );
  assert.deepEqual(d.lifelines.map((l) => l.id), ["srv", "a", "srv.1", "b", "srv.2"]);
  const shown = d.events.map((e) => `${e.kind} ${e.on}${e.peer ? ">" + e.peer : ""}`);
  assert.deepEqual(shown, [
    "open srv",
    "open a>srv.1",
    "accept srv>srv.1",
    "open b>srv.2",
    "accept srv>srv.2",
    "send srv.1>a",
    "send srv.2>b",
    "recv b>srv.2",
    "timeout a",
    "close srv.1",
    "peer-closed a",
  ]);
});

Deno.test("a datagram's sender captured in a script is the peer that a later sendto names", () => {
  const d = fromScript(
    [
      "listen udp u :0",
      "recvfrom u",
      '  from ${peer:127\\.0\\.0\\.1:\\d+} "hi"',
      "sendto u ${peer} back",
    ].join("\n") + "\n",
    "u.sockit",
  );
  const arrows = d.events.filter(isArrow).map((e) => `${e.kind} ${e.on} ${e.peer}`);
  assert.deepEqual(arrows, ["recv u peer:${peer}", "send u peer:${peer}"]);
});

Deno.test("the SVG has one lifeline per socket and one arrow per send and received chunk, text escaped", async () => {
  const d = fromJsonl(await Deno.readTextFile(files.jsonl), files.jsonl);
  const svg = toSvg(d);
  const lifelines = [...svg.matchAll(/data-lifeline="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(lifelines, ["room", "alice", "bob", "carol"]);
  const records = await dataRecords();
  const arrows = [...svg.matchAll(/data-arrow="(\w+)" data-from="([^"]*)" data-to="([^"]*)"/g)];
  assert.equal(arrows.length, records.length);
  assert.deepEqual(
    arrows.map((m) => m[1]),
    records.map((r) => r.dir === "out" ? "send" : "recv"),
  );
  assert(arrows.every((m) => m[1] === "send" ? m[3] === "room" : m[2] === "room"));
  // Binary is hex; text is quoted as recv shows it, and escaped for XML.
  assert.match(svg, />hex 63 61 72 6f 6c 3a 20 00 ff 01 0a</);
  assert.match(svg, />&quot;\* online \(3\): alice, bob, carol\\n&quot;</);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(svg, /[\x00-\x08]/, "no control bytes: XML cannot hold them");
});

Deno.test("a long payload is cut at 40 characters with its size", () => {
  const big = new TextEncoder().encode("0123456789".repeat(30));
  const svg = toSvg({
    source: "x",
    kind: "jsonl",
    lifelines: [{ id: "a", label: "a" }, { id: "b", label: "b" }],
    events: [{ t: 0, kind: "send", on: "a", peer: "b", bytes: big.subarray(0, 256), size: 300 }],
  });
  assert.match(svg, />&quot;01234567890123456789012345678901234567&quot;… \(300 bytes\)</);
});

Deno.test("sockit diagram writes FILE.html next to the log, or an SVG by --out's extension", async () => {
  const run = await sockit(["diagram", files.jsonl]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^wrote .*chat\.html: 4 lifelines, \d+ arrows, \d+ markers\n$/);
  const page = await Deno.readTextFile(`${files.dir}/chat.html`);
  assert.match(page, /^<!doctype html>/);
  assert.doesNotMatch(page, /<script|<link|src=|@import|url\((?!#)/i, "self-contained");
  const svgRun = await sockit(["diagram", files.pcap, "--out", `${files.dir}/chat.svg`]);
  assert.equal(svgRun.code, 0, svgRun.stderr);
  assert.match(await Deno.readTextFile(`${files.dir}/chat.svg`), /^<svg xmlns=/);
  const out = await sockit(["diagram", files.script, "--out", "-"]);
  assert.match(out.stdout, /^<!doctype html>[\s\S]*data-lifeline="carol"/);
});

Deno.test("sockit diagram names the file in a one-line error for unreadable or unknown input", async () => {
  const missing = await sockit(["diagram", `${files.dir}/nope.jsonl`]);
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /^error: Cannot diagram ".*nope\.jsonl": .*(not found|No such file)/im,
  );
  const junk = `${files.dir}/junk.bin`;
  await Deno.writeFile(junk, new Uint8Array([0x7f, 0, 1, 2, 3, 0xff]));
  const bad = await sockit(["diagram", junk]);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /Cannot diagram ".*junk\.bin": not a pcap, a JSON Lines log or a script/,
  );
  const prose = `${files.dir}/notes.txt`;
  await Deno.writeTextFile(prose, "hello there\n");
  const notes = await sockit(["diagram", prose]);
  assert.match(notes.stderr, /as a script: .*notes\.txt:1:1: unknown command "hello"/);
  const png = await sockit(["diagram", files.jsonl, "--out", `${files.dir}/x.png`]);
  assert.match(png.stderr, /Cannot diagram to ".*x\.png": write \.html or \.svg/);
  for (const r of [missing, bad, notes, png]) {
    assert.equal(r.stderr.trim().split("\n")[0].includes("Cannot diagram"), true, r.stderr);
  }
});

// --- a real browser ---------------------------------------------------------------------------

/** Runs headless Chromium on a page: its DOM after loading, and a screenshot. */
async function chromium(page: string, png: string, width: number, height: number) {
  const profile = await Deno.makeTempDir({ prefix: "sockit-chromium-" });
  const base = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    `--user-data-dir=${profile}`,
    `--window-size=${width},${height}`,
  ];
  const url = `file://${page}`;
  const run = async (args: string[]) => {
    const out = await new Deno.Command("chromium", {
      args: [...base, ...args, url],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(90_000),
    }).output();
    assert(out.success, `chromium ${args.join(" ")} failed: ${decoder.decode(out.stderr)}`);
    return decoder.decode(out.stdout);
  };
  const dom = await run(["--dump-dom"]);
  await run([`--screenshot=${png}`]);
  await Deno.remove(profile, { recursive: true }).catch(() => {});
  return dom;
}

/** A PNG's pixels as RGBA rows (8-bit RGB or RGBA, not interlaced: what Chromium writes). */
async function pngPixels(
  file: string,
): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  const png = await Deno.readFile(file);
  const v = new DataView(png.buffer);
  assert.equal(decoder.decode(png.subarray(1, 4)), "PNG");
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array<ArrayBuffer>[] = [];
  for (let off = 8; off < png.length;) {
    const len = v.getUint32(off);
    const type = decoder.decode(png.subarray(off + 4, off + 8));
    const body = png.subarray(off + 8, off + 8 + len);
    if (type === "IHDR") {
      width = v.getUint32(off + 8);
      height = v.getUint32(off + 12);
      assert.equal(body[8], 8, "8 bits per channel");
      channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
      assert(channels > 0 && body[12] === 0, "RGB(A), not interlaced");
    } else if (type === "IDAT") idat.push(body.slice());
    off += 12 + len;
  }
  const raw = new Uint8Array(
    await new Response(new Blob(idat).stream().pipeThrough(new DecompressionStream("deflate")))
      .arrayBuffer(),
  );
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const row = raw.slice(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? row[i - channels] : 0, b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][
        filter
      ];
      row[i] = (row[i] + predictor) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      out.set(row.subarray(x * channels, x * channels + 3), (y * width + x) * 4);
      out[(y * width + x) * 4 + 3] = channels === 4 ? row[x * channels + 3] : 255;
    }
    prev = row;
  }
  return { width, height, rgba: out };
}

/** How many pixels are of a hue: mostly blue (the send arrows) or mostly green (received). */
function pixelsOf(img: { rgba: Uint8Array }, hue: "blue" | "green" | "white"): number {
  let n = 0;
  for (let i = 0; i < img.rgba.length; i += 4) {
    const [r, g, b] = [img.rgba[i], img.rgba[i + 1], img.rgba[i + 2]];
    if (
      hue === "blue"
        ? b - r > 80 && b > g + 20
        : hue === "green"
        ? g - r > 50 && g > b + 20
        : r + g + b > 740
    ) n++;
  }
  return n;
}

Deno.test("Chromium renders the chat page: its DOM has the four lifelines and every arrow, the screenshot shows them", async () => {
  const d = fromJsonl(await Deno.readTextFile(files.jsonl), "chat.jsonl");
  const page = `${files.dir}/browser.html`;
  await Deno.writeTextFile(page, toHtml(d));
  const png = `${files.dir}/browser.png`;
  // The window fits the whole chart: the screenshot is the README's picture.
  const chart = layout(d);
  const [width, height] = [chart.width + 8, HEAD + chart.height + 132];
  const dom = await chromium(page, png, width, height);
  const lifelines = [...dom.matchAll(/<g data-lifeline="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(lifelines, ["room", "alice", "bob", "carol"]);
  const arrows = [...dom.matchAll(/<g class="(send|recv)" data-arrow="\1"/g)];
  assert.equal(arrows.length, (await dataRecords()).length);
  assert.match(dom, /<header class="top">[\s\S]*4 lifelines/);
  const img = await pngPixels(png);
  assert.deepEqual([img.width, img.height], [width, height]);
  const total = img.width * img.height;
  const white = pixelsOf(img, "white");
  assert(white < total * 0.99, `a blank page: ${white} of ${total} pixels white`);
  // The arrows' colours are on the screen: sends blue, received chunks green.
  assert(pixelsOf(img, "blue") > 2000, "no send arrows drawn");
  assert(pixelsOf(img, "green") > 2000, "no received arrows drawn");
  if (Deno.env.get("SOCKIT_DIAGRAM_DOCS")) {
    const docs = new URL("../docs/", import.meta.url).pathname;
    await Deno.copyFile(png, `${docs}diagram.png`);
  }
});

Deno.test("a 1,000-message log renders in Chromium with every arrow, in bounded page size and element count", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-diagram-big-" });
  const log = `${dir}/big.jsonl`;
  // 500 round trips to the echo server: 1,000 chunks, alternating, so nothing is grouped.
  const lines = ["serve echo tcp e :0", "open tcp a ${e.local}"];
  for (let i = 0; i < 500; i++) lines.push(`sendline a message ${i}`, "recvline a");
  lines.push("close a");
  const run = await sockit(["--log", log], lines.join("\n") + "\n");
  assert.equal(run.code, 0, run.stderr);
  const d = readDiagram(await Deno.readFile(log), log);
  assert.equal(d.events.filter(isArrow).length, 1000);
  const html = toHtml(d);
  const page = `${dir}/big.html`;
  await Deno.writeTextFile(page, html);
  const elements = html.match(/<[a-z]/g)!.length;
  assert(html.length < 1_200_000, `page of ${html.length} bytes`);
  assert(elements < 8_000, `${elements} elements`);
  const dom = await chromium(page, `${dir}/big.png`, 1400, 900);
  assert.equal([...dom.matchAll(/ data-arrow="/g)].length, 1000);
  const img = await pngPixels(`${dir}/big.png`);
  assert(pixelsOf(img, "blue") > 1000, "no arrows on the first screen");
  console.log(`1,000 messages: page ${html.length} bytes, ${elements} elements`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("from 200 arrows on, runs of chunks one way are grouped into one arrow that counts them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sockit-diagram-group-" });
  const log = `${dir}/bulk.jsonl`;
  const lines = ["serve discard tcp sink :0", "open tcp a ${sink.local}"];
  for (let i = 0; i < 300; i++) lines.push(`send a chunk${i}`);
  lines.push("close a");
  const run = await sockit(["--log", log], lines.join("\n") + "\n");
  assert.equal(run.code, 0, run.stderr);
  const d = readDiagram(await Deno.readFile(log), log);
  const svg = toSvg(d);
  const arrows = [...svg.matchAll(/data-arrow="send"[^>]*data-count="(\d+)" data-bytes="(\d+)"/g)];
  assert.equal(arrows.length, 1);
  assert.equal(Number(arrows[0][1]), 300);
  const total = Array.from({ length: 300 }, (_, i) => `chunk${i}`).join("").length;
  assert.equal(Number(arrows[0][2]), total);
  assert.match(svg, new RegExp(`>×300 &quot;chunk0chunk1chunk2[^&]*&quot;… \\(${total} bytes\\)<`));
  const ungrouped = toSvg(d, { group: false });
  assert.equal([...ungrouped.matchAll(/data-arrow="send"/g)].length, 300);
  await Deno.remove(dir, { recursive: true });
});

globalThis.addEventListener("unload", () => {
  Deno.removeSync(files.dir, { recursive: true });
});
