"""The stylesheet and the script inlined into the recording page (:mod:`.recording_page`).

They live in a Python module rather than in ``.css``/``.js`` files so that every install carries
them without package-data settings. The script only draws the JSON the page embeds: it loads
nothing, so the page works opened from disk.
"""
from __future__ import annotations

STYLE = r"""
:root { --bg: #f4f5f7; --panel: #fff; --line: #e1e4e9; --text: #1b2330; --muted: #5d6877; --accent: #2458d6;
        --accent-soft: #e8eefb; --warn: #a85a04; --warn-soft: #fff5e3; --warn-line: #f1d39c; --gap: #f3d5d5; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text);
       font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header.top, main { max-width: 1560px; margin: 0 auto; padding: 0 24px; }
header.top { padding-top: 18px; }
.title-row { display: flex; justify-content: space-between; align-items: flex-start; gap: 16px; }
.kicker { margin: 0; text-transform: uppercase; letter-spacing: .08em; font-size: 11px; color: var(--muted); font-weight: 600; }
h1 { margin: 1px 0 2px; font-size: 22px; font-weight: 650; overflow-wrap: anywhere; }
.source { margin: 0; color: var(--muted); font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
          overflow-wrap: anywhere; }
.subtitle { margin: 2px 0 0; color: var(--muted); }
.exports { display: flex; gap: 8px; flex-shrink: 0; padding-top: 14px; }
a.export { display: inline-block; padding: 6px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel);
           color: var(--accent); text-decoration: none; font-weight: 550; }
a.export:hover { border-color: var(--accent); }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; margin: 14px 0 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 11px 14px 12px; }
.card h2, h3 { margin: 0 0 4px; font-size: 11px; text-transform: uppercase; letter-spacing: .07em; color: var(--muted);
               font-weight: 600; }
.card-name { margin: 0; font-size: 18px; font-weight: 620; overflow-wrap: anywhere; }
.unit { font-size: 13px; font-weight: 400; color: var(--muted); }
.card-text { margin: 3px 0 0; color: var(--muted); font-size: 13px; }
.estimate { margin: 4px 0 0; display: flex; gap: 18px; }
.estimate.none { color: var(--muted); font-style: italic; font-size: 13px; }
.metric { color: var(--muted); } .metric b { font-size: 17px; color: var(--text); font-variant-numeric: tabular-nums; }
.caption { margin: 0; font-size: 12px; color: var(--muted); }
.card dl { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 1px 10px; margin: 8px 0 0; font-size: 12.5px; }
.card dt { color: var(--muted); } .card dd { margin: 0; overflow-wrap: anywhere; }
dd.warn { color: var(--warn); font-weight: 600; }
.notes { margin: 0 0 12px; padding: 8px 14px 8px 30px; background: var(--warn-soft); border: 1px solid var(--warn-line);
         border-radius: 8px; color: #633d07; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px 14px;
         margin-bottom: 12px; }
.toolbar { display: flex; align-items: center; gap: 10px 12px; flex-wrap: wrap; margin-bottom: 10px; }
.toolbar h2 { margin: 0; font-size: 15px; font-weight: 650; }
.count { color: var(--muted); font-size: 13px; }
.filter { display: inline-flex; border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.filter button { border: 0; background: #fff; padding: 3px 12px; font: inherit; font-size: 13px; color: var(--muted);
                 cursor: pointer; }
.filter button + button { border-left: 1px solid var(--line); }
.filter button[aria-pressed="true"] { background: var(--accent-soft); color: var(--accent); font-weight: 600; }
.legend { display: flex; flex-wrap: wrap; gap: 3px 14px; margin-left: auto; font-size: 12.5px; color: var(--muted); }
.legend span { display: inline-flex; align-items: center; gap: 5px; }
.sw { width: 11px; height: 11px; border-radius: 3px; display: inline-block; }
.sw.line { width: 16px; height: 0; border-radius: 0; border-top: 2px solid; }
.sw.dashed { border-top-style: dashed; }
.sw.gap { background: var(--gap); border: 1px solid #e3b1b1; }
.timeline { display: grid; grid-template-columns: 96px minmax(0, 1fr); }
.lane-labels { position: relative; font-size: 12px; color: var(--muted); }
.lane-labels div { position: absolute; right: 10px; transform: translateY(-50%); white-space: nowrap; }
.plot { position: relative; min-width: 0; }
#timeline-svg { display: block; width: 100%; cursor: pointer; }
svg .lane { fill: #f6f7f9; }
svg .grid { stroke: #e6e8ec; stroke-width: 1px; }
svg .gap { fill: var(--gap); opacity: .85; pointer-events: none; }
svg .signal { fill: none; stroke-width: 1.25px; stroke-linejoin: round; pointer-events: none; }
svg .signal.micro { stroke: #2b3a55; } svg .signal.macro { stroke: #9aa6b6; stroke-dasharray: 4 2; }
svg .iv, svg .ctx-iv { stroke-width: 3px; cursor: pointer; }
svg .iv:hover, svg .ctx-iv:hover { opacity: .7; }
svg .truth { stroke-width: 2px; pointer-events: none; }
svg .truth.t-micro { fill: #4b5563; stroke: #4b5563; } svg .truth.t-macro { fill: #b3bcc8; stroke: #b3bcc8; }
svg .cursor { fill: rgba(36, 88, 214, .12); stroke: var(--accent); stroke-width: 2px; pointer-events: none; }
svg .ctx-band { fill: rgba(36, 88, 214, .08); pointer-events: none; }
svg .apex-line { stroke: var(--accent); stroke-width: 1.5px; stroke-dasharray: 3 2; pointer-events: none; }
svg .ctx-iv { opacity: .45; } svg .ctx-iv.current { opacity: 1; }
.axis { position: relative; height: 18px; font-size: 11.5px; color: var(--muted); font-variant-numeric: tabular-nums; }
.axis span { position: absolute; top: 2px; transform: translateX(-50%); white-space: nowrap; }
.axis span.start { transform: none; } .axis span.end { transform: translateX(-100%); }
.hint { margin: 6px 0 0; font-size: 12.5px; color: var(--muted); }
kbd { font: 11px ui-monospace, SFMono-Regular, Menlo, monospace; border: 1px solid #cdd3dc; border-bottom-width: 2px;
      border-radius: 4px; padding: 0 4px; background: #fafbfc; color: var(--text); }
.columns { display: grid; grid-template-columns: minmax(0, 1.55fr) minmax(400px, 1fr); gap: 12px; align-items: start;
           margin-bottom: 24px; }
.columns .panel { margin-bottom: 0; }
body.no-intervals .columns { grid-template-columns: minmax(0, 1fr); }
.table-wrap { max-height: 64vh; overflow: auto; border: 1px solid var(--line); border-radius: 6px; position: relative;
              contain: content; }
table { border-collapse: separate; border-spacing: 0; width: 100%; font-size: 13px; font-variant-numeric: tabular-nums; }
thead th { position: sticky; top: 0; z-index: 1; background: #f7f8fa; border-bottom: 1px solid var(--line); text-align: left;
           font-weight: 600; color: var(--muted); padding: 6px 8px; font-size: 12px; white-space: nowrap; }
td { padding: 5px 8px; border-bottom: 1px solid #eef0f3; white-space: nowrap; }
th.num, td.num { text-align: right; }
td.low { color: var(--warn); font-weight: 600; }
tbody tr { cursor: pointer; scroll-margin-top: 34px; }
tbody tr:hover { background: #f6f8fc; }
tbody tr.flagged { background: #fffbf3; }
tbody tr.flagged td:first-child { box-shadow: inset 3px 0 0 #e5a03a; }
tbody tr.selected { background: var(--accent-soft); }
tbody tr.selected td:first-child { box-shadow: inset 3px 0 0 var(--accent); }
tbody tr:focus { outline: none; }
tbody tr:focus-visible { outline: 2px solid var(--accent); outline-offset: -2px; }
body.only-micro .t-macro, body.only-macro .t-micro { display: none; }
.badge { display: inline-block; font-size: 11.5px; line-height: 17px; padding: 0 7px; border-radius: 9px; font-weight: 600; }
.badge.micro { background: #e3ebfb; color: #24479e; } .badge.macro { background: #eceef2; color: #4a5361; }
.dot { width: 9px; height: 9px; border-radius: 50%; display: inline-block; margin-right: 6px; }
.flag { display: inline-block; font-size: 11.5px; line-height: 17px; padding: 0 7px; border-radius: 9px;
        background: var(--warn-soft); color: var(--warn); border: 1px solid var(--warn-line); margin-right: 4px;
        font-weight: 550; }
.empty { padding: 28px; text-align: center; color: var(--muted); background: #fafbfc; border: 1px dashed #cdd3dc;
         border-radius: 8px; margin: 0; font-size: 15px; }
.detail { position: sticky; top: 12px; }
.detail .toolbar h2 { white-space: nowrap; }
.class-chip { display: inline-flex; align-items: center; font-weight: 650; font-size: 15px; }
.spacer { flex: 1; }
button.step { border: 1px solid var(--line); background: #fff; border-radius: 6px; width: 30px; height: 28px; font-size: 17px;
              line-height: 1; cursor: pointer; color: var(--text); }
button.step:hover { border-color: var(--accent); color: var(--accent); }
button:focus-visible, a:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.muted { color: var(--muted); }
.facts { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 8px; margin: 0 0 10px; }
.facts > div { background: #f7f8fa; border-radius: 6px; padding: 5px 10px 6px; }
.facts dt { font-size: 10.5px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.facts dd { margin: 0; font-size: 15px; font-weight: 620; font-variant-numeric: tabular-nums; }
.facts dd small { font-weight: 400; color: var(--muted); font-size: 12px; margin-left: 4px; }
.meter { height: 5px; background: #e3e6eb; border-radius: 3px; overflow: hidden; margin-top: 4px; }
.meter i { display: block; height: 100%; background: #1f9d55; }
.meter.low i { background: #d98a1a; }
td.truth-hit { color: #1f7a3a; white-space: nowrap; } td.truth-miss { color: #8a94a3; white-space: nowrap; }
.flags { margin: 0 0 10px; }
.flags:empty { display: none; }
.context { margin: 2px 0 12px; }
#context-svg { display: block; width: 100%; cursor: pointer; }
.pictures { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 10px; }
figure { margin: 0; min-width: 0; }
figure img { display: block; width: 100%; aspect-ratio: 1 / 1; object-fit: contain; background: #eef0f3; border-radius: 6px;
             border: 1px solid var(--line); }
#detail-flow img, #detail-strain img { image-rendering: pixelated; }
figure.missing img { display: none; }
figure.missing::before { content: "not available"; display: flex; align-items: center; justify-content: center;
                         aspect-ratio: 1 / 1; border: 1px dashed #cdd3dc; border-radius: 6px; color: var(--muted);
                         font-size: 12px; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; line-height: 1.3; }
figcaption b { display: block; color: var(--text); font-weight: 600; }
.detail h3 { margin: 14px 0 6px; }
.scores { display: grid; grid-template-columns: auto minmax(0, 1fr) 3.2em; gap: 5px 10px; align-items: center; font-size: 13px; }
.scores .num { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); }
.scores .top { font-weight: 650; color: var(--text); }
.bar { height: 9px; background: #eef0f3; border-radius: 5px; overflow: hidden; }
.bar i { display: block; height: 100%; border-radius: 5px; }
.aus span { display: inline-block; font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; padding: 2px 7px;
            border-radius: 4px; background: #eef0f3; margin: 0 4px 4px 0; }
@media (max-width: 1150px) {
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .columns { grid-template-columns: minmax(0, 1fr); }
  .detail { position: static; }
}
"""

SCRIPT = r"""
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const R = JSON.parse($("report-data").textContent);
  const svg = $("timeline-svg");
  const NS = svg.namespaceURI;
  // Okabe-Ito colours: told apart with the common colour-vision deficiencies.
  const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#8c6d31", "#7a5195"];
  const NO_CLASS = "#9aa3ae";
  const LOW_TRACKING = 0.8;  // tracking quality shown in amber below this
  const KINDS = ["onset", "apex", "flow", "strain"];
  const fps = R.recording.fps, nFrames = R.recording.frames, W = 1000;
  const classColour = new Map(R.model.classes.map((c, i) => [c, PALETTE[i % PALETTE.length]]));
  const colour = (label) => (label != null && classColour.has(label) ? classColour.get(label) : NO_CLASS);
  const items = R.intervals.slice().sort((a, b) => a.onset - b.onset || a.offset - b.offset || a.id - b.id);
  const maxLength = items.reduce((m, iv) => Math.max(m, iv.offset - iv.onset + 1), 0);
  const truth = R.ground_truth;

  function node(tag, attrs, parent) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function h(tag, cls, text, parent) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function clockOf(seconds, decimals) {
    const s = Math.max(0, seconds), hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
    const sec = decimals ? ss.toFixed(decimals).padStart(3 + decimals, "0") : String(Math.floor(ss)).padStart(2, "0");
    return hh ? hh + ":" + String(mm).padStart(2, "0") + ":" + sec : mm + ":" + sec;
  }
  const clock = (frame) => clockOf(frame / fps, 2);
  const fixed = (v, d) => (v == null ? "–" : v.toFixed(d));
  const percent = (v) => (v == null ? "–" : Math.round(100 * v) + "%");
  const human = (flag) => flag.replace(/_/g, " ");
  const SHORT_FLAGS = {poor_tracking: "tracking", face_partly_outside: "off-frame"};  // for the table
  function flagChip(flag, parent, short) {
    const chip = h("span", "flag", "⚠ " + (short && SHORT_FLAGS[flag] ? SHORT_FLAGS[flag] : human(flag)), parent);
    chip.title = human(flag);
    chip.setAttribute("aria-label", "flag: " + human(flag));
    return chip;
  }
  function truthText(iv, short) {  // how an interval stands against the ground truth
    if (iv.truth_match == null) return short ? "no match" : "IoU < 0.5 with every ground-truth " + iv.type + " interval";
    const gt = truth[iv.truth_match], row = gt.row == null ? "" : ", sheet row " + gt.row;
    return short ? "✓ " + gt.onset + "–" + gt.offset : "IoU ≥ 0.5 with " + gt.onset + "–" + gt.offset + row;
  }
  const encodePath = (rel) => rel.split("/").map(encodeURIComponent).join("/");
  function lengthText(iv) {
    const ms = (1000 * (iv.offset - iv.onset + 1)) / fps;
    return ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(2) + " s";
  }
  function describe(iv) {
    return "Interval " + iv.id + ", " + iv.type + ", " + (iv.label == null ? "unclassified" : iv.label) +
      ", frames " + iv.onset + " to " + iv.offset + " (" + clock(iv.onset) + ")" +
      (iv.flags.length ? ", flagged: " + iv.flags.map(human).join(", ") : "");
  }

  // ---------------------------------------------------------------- drawing (shared by both strips)
  function lanes(signalHeight, laneHeight, withTruth) {
    const L = {};
    let y = 2;
    L.signal = [y, signalHeight]; y += signalHeight + 6;
    L.micro = [y, laneHeight]; y += laneHeight + 4;
    L.macro = [y, laneHeight]; y += laneHeight + 4;
    if (withTruth) { L.truth = [y, laneHeight]; y += laneHeight + 4; }
    L.height = y;
    return L;
  }
  const step = R.signal.frame_step;
  let vmin = 0, vmax = 0;
  for (const key of ["micro", "macro"]) {
    for (const v of R.signal[key]) if (v != null) { vmin = Math.min(vmin, v); vmax = Math.max(vmax, v); }
  }
  if (!(vmax > vmin)) vmax = vmin + 1;

  function drawSignal(parent, key, lane, a, b, x) {
    const values = R.signal[key], top = lane[0], height = lane[1];
    const i0 = Math.max(0, Math.floor(a / step)), i1 = Math.min(values.length - 1, Math.ceil(b / step));
    let points = [];
    const flush = () => {
      if (points.length > 1) {
        node("polyline", {points: points.join(" "), class: "signal " + key, "vector-effect": "non-scaling-stroke"}, parent);
      }
      points = [];
    };
    for (let i = i0; i <= i1; i++) {
      const v = values[i];
      if (v == null) { flush(); continue; }
      points.push(x(i * step + 0.5).toFixed(2) + "," + (top + height * (1 - (v - vmin) / (vmax - vmin))).toFixed(2));
    }
    flush();
  }
  function drawGaps(parent, height, a, b, x) {
    for (const [g0, g1] of R.tracking.gaps) {
      if (g1 < a || g0 >= b) continue;
      const x0 = x(Math.max(g0, a)), x1 = x(Math.min(g1 + 1, b));
      node("rect", {x: x0, y: 0, width: Math.max(x1 - x0, 0), height: height, class: "gap"}, parent);
    }
  }
  function drawLanes(parent, L, width) {
    for (const key of ["signal", "micro", "macro", "truth"]) {
      if (L[key]) node("rect", {x: 0, y: L[key][0], width: width, height: L[key][1], class: "lane"}, parent);
    }
  }
  function mark(parent, iv, pos, L, x, cls) {
    const c = colour(iv.label), lane = L[iv.type];
    const r = node("rect", {
      x: x(iv.onset), y: lane[0], width: Math.max(x(iv.offset + 1) - x(iv.onset), 0), height: lane[1], fill: c, stroke: c,
      "vector-effect": "non-scaling-stroke", "data-pos": pos, "data-id": iv.id,
      class: cls + " t-" + iv.type + (iv.flags.length ? " flagged" : ""),
    }, parent);
    node("title", {}, r).textContent = describe(iv);
    return r;
  }
  function niceStep(seconds, maxTicks) {
    const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];
    return steps.find((s) => seconds / s <= maxTicks) || steps[steps.length - 1];
  }
  function axisLabel(axis, fraction, text) {
    const s = h("span", fraction < 0.02 ? "start" : fraction > 0.97 ? "end" : "", text, axis);
    s.style.left = (100 * fraction).toFixed(3) + "%";
  }

  // ---------------------------------------------------------------- the timeline, drawn once
  const L = lanes(64, 20, truth != null);
  const X = (f) => (f * W) / nFrames;
  const marks = [];
  let cursor = null;
  (function drawTimeline() {
    svg.setAttribute("viewBox", "0 0 " + W + " " + L.height);
    svg.style.height = L.height + "px";
    const g = document.createDocumentFragment();
    drawLanes(g, L, W);
    const duration = nFrames / fps, tick = niceStep(duration, 10), axis = $("timeline-axis");
    const decimals = tick < 1 ? 1 : 0;
    for (let i = 0; i * tick <= duration + 1e-9; i++) {
      const t = i * tick, x = X(t * fps);
      node("line", {x1: x, x2: x, y1: 0, y2: L.height, class: "grid", "vector-effect": "non-scaling-stroke"}, g);
      if (t / duration < 0.95 || i === 0) axisLabel(axis, t / duration, clockOf(t, decimals));  // clear of the end label
    }
    axisLabel(axis, 1, clockOf(duration, decimals));
    drawGaps(g, L.height, 0, nFrames, X);
    drawSignal(g, "macro", L.signal, 0, nFrames, X);
    drawSignal(g, "micro", L.signal, 0, nFrames, X);
    if (truth) {
      for (const gt of truth) {
        node("rect", {x: X(gt.onset), y: L.truth[0], width: Math.max(X(gt.offset + 1) - X(gt.onset), 0), height: L.truth[1],
                      class: "truth t-" + gt.type, "vector-effect": "non-scaling-stroke"}, g);
      }
    }
    items.forEach((iv, pos) => marks.push(mark(g, iv, pos, L, X, "iv")));
    cursor = node("rect", {x: 0, y: 0, width: 0, height: L.height, class: "cursor", visibility: "hidden",
                           "vector-effect": "non-scaling-stroke"}, g);
    svg.appendChild(g);
    const labels = $("lane-labels"), names = {signal: "Spotting signal", micro: "Micro", macro: "Macro", truth: "Ground truth"};
    for (const key in names) {
      if (!L[key]) continue;
      const d = h("div", "", names[key], labels);
      d.style.top = L[key][0] + L[key][1] / 2 + "px";
    }
  })();

  (function drawLegend() {
    const legend = $("legend");
    const entry = (swatchClass, style, text) => {
      const s = h("span", "", null, legend), sw = h("i", "sw " + swatchClass, null, s);
      Object.assign(sw.style, style);
      s.append(text);
    };
    for (const [c, col] of classColour) entry("", {background: col}, c);
    if (items.some((iv) => colour(iv.label) === NO_CLASS)) entry("", {background: NO_CLASS}, "unclassified");
    entry("line", {borderColor: "#2b3a55"}, "micro signal");
    entry("line dashed", {borderColor: "#9aa6b6"}, "macro signal");
    if (R.tracking.gaps.length) entry("gap", {}, "face not tracked");
  })();

  // ---------------------------------------------------------------- the table, built once
  const rows = [];
  const tbody = document.querySelector("#interval-table tbody");
  (function buildTable() {
    const f = document.createDocumentFragment();
    items.forEach((iv, pos) => {
      const tr = h("tr", "t-" + iv.type + (iv.flags.length ? " flagged" : ""), null, f);
      tr.dataset.pos = pos;
      tr.tabIndex = pos === 0 ? 0 : -1;
      h("td", "num", String(iv.id), tr);
      h("span", "badge " + iv.type, iv.type, h("td", "", null, tr));
      h("td", "num", iv.onset + "–" + iv.offset, tr);
      h("td", "num", clock(iv.onset), tr);
      h("td", "num", lengthText(iv), tr);
      h("td", "num", fixed(iv.score, 2), tr);
      const cls = h("td", "", null, tr);
      h("span", "dot", null, cls).style.background = colour(iv.label);
      cls.append(iv.label == null ? "—" : iv.label);
      const low = iv.tracking_quality != null && iv.tracking_quality < LOW_TRACKING;
      h("td", "num" + (low ? " low" : ""), percent(iv.tracking_quality), tr);
      if (truth) {
        const cell = h("td", iv.truth_match == null ? "truth-miss" : "truth-hit", truthText(iv, true), tr);
        cell.title = truthText(iv, false);
      }
      const flags = h("td", "", null, tr);
      for (const flag of iv.flags) flagChip(flag, flags, true);
      rows.push(tr);
    });
    tbody.appendChild(f);
    if (truth) $("th-truth").hidden = false;
  })();

  // ---------------------------------------------------------------- filter and counts
  let filter = "all";
  const visible = (pos) => filter === "all" || items[pos].type === filter;
  function updateCount() {
    const n = items.length, micro = items.filter((iv) => iv.type === "micro").length;
    const shown = filter === "all" ? n : filter === "micro" ? micro : n - micro;
    $("interval-count").textContent = (filter === "all" ? "" : shown + " of ") + n + " interval" + (n === 1 ? "" : "s") +
      " · " + micro + " micro · " + (n - micro) + " macro";
  }
  for (const b of document.querySelectorAll(".filter button")) {
    b.addEventListener("click", () => {
      filter = b.dataset.filter;
      document.body.classList.toggle("only-micro", filter === "micro");
      document.body.classList.toggle("only-macro", filter === "macro");
      for (const o of document.querySelectorAll(".filter button")) o.setAttribute("aria-pressed", String(o === b));
      updateCount();
      if (current >= 0 && !visible(current)) move(1);
    });
  }

  // ---------------------------------------------------------------- selection
  let current = -1, hashTimer = 0;
  function scrollWithinTable(row) {
    const wrap = $("table-wrap"), head = wrap.querySelector("thead").offsetHeight;
    const w = wrap.getBoundingClientRect(), r = row.getBoundingClientRect();
    if (r.top < w.top + head) wrap.scrollTop -= w.top + head - r.top;
    else if (r.bottom > w.bottom) wrap.scrollTop += r.bottom - w.bottom;
  }
  function select(pos, source) {
    if (pos < 0 || pos >= items.length) return;
    if (current >= 0) {
      rows[current].classList.remove("selected");
      rows[current].removeAttribute("aria-current");
      marks[current].classList.remove("sel");
    }
    for (const r of tbody.querySelectorAll("tr[tabindex='0']")) r.tabIndex = -1;
    current = pos;
    const iv = items[pos], row = rows[pos];
    row.classList.add("selected");
    row.setAttribute("aria-current", "true");
    row.tabIndex = 0;
    marks[pos].classList.add("sel");
    const x0 = X(iv.onset), x1 = X(iv.offset + 1);
    cursor.setAttribute("x", x0);
    cursor.setAttribute("width", Math.max(x1 - x0, 0));
    cursor.setAttribute("visibility", "visible");
    showDetail(iv);
    scrollWithinTable(row);
    if (source === "key" || source === "table") {
      const r = row.getBoundingClientRect();
      if (r.top < 0 || r.bottom > window.innerHeight) row.scrollIntoView({block: "nearest"});
      if (source === "key") row.focus({preventScroll: true});
    }
    // The address names the selection (a link or a reload shows it again); written once the keys
    // rest, as browsers throttle rapid history updates.
    clearTimeout(hashTimer);
    hashTimer = setTimeout(() => {
      try { history.replaceState(null, "", "#interval-" + iv.id); } catch (err) { /* refused on some file: pages */ }
    }, 150);
  }
  function move(direction) {
    if (!items.length) return;
    let pos = current < 0 ? (direction > 0 ? -1 : items.length) : current;
    do { pos += direction; } while (pos >= 0 && pos < items.length && !visible(pos));
    if (pos >= 0 && pos < items.length) select(pos, "key");
  }
  function edge(last) {
    const order = items.map((_, i) => i).filter(visible);
    if (order.length) select(last ? order[order.length - 1] : order[0], "key");
  }
  function nearest(frame) {
    let best = -1, bestDistance = Infinity;
    items.forEach((iv, pos) => {
      if (!visible(pos)) return;
      const d = frame < iv.onset ? iv.onset - frame : frame > iv.offset ? frame - iv.offset : 0;
      if (d < bestDistance) { best = pos; bestDistance = d; }
    });
    return best;
  }

  svg.addEventListener("click", (e) => {
    const t = e.target.closest("[data-pos]");
    if (t) return select(Number(t.dataset.pos), "timeline");
    const box = svg.getBoundingClientRect(), pos = nearest(((e.clientX - box.left) / box.width) * nFrames);
    if (pos >= 0) select(pos, "timeline");
  });
  tbody.addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-pos]");
    if (tr) select(Number(tr.dataset.pos), "table");
  });
  tbody.addEventListener("keydown", (e) => {
    const tr = e.target.closest("tr[data-pos]");
    if (tr && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); select(Number(tr.dataset.pos), "table"); }
  });
  $("context-svg").addEventListener("click", (e) => {
    const t = e.target.closest("[data-pos]");
    if (t) select(Number(t.dataset.pos), "context");
  });
  $("detail-prev").addEventListener("click", () => move(-1));
  $("detail-next").addEventListener("click", () => move(1));
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented) return;
    const t = e.target;
    if (t.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(t.tagName)) return;
    if (e.key === "j" || e.key === "ArrowDown" || e.key === "ArrowRight") move(1);
    else if (e.key === "k" || e.key === "ArrowUp" || e.key === "ArrowLeft") move(-1);
    else if (e.key === "Home" || e.key === "End") edge(e.key === "End");
    else return;
    e.preventDefault();
  });

  // ---------------------------------------------------------------- the detail panel
  function fact(parent, term, value, small) {
    const d = h("div", "", null, parent);
    h("dt", "", term, d);
    const dd = h("dd", "", value, d);
    if (small) h("small", "", small, dd);
    return dd;
  }
  function drawContext(iv) {
    const ctx = $("context-svg"), axis = $("context-axis");
    const length = iv.offset - iv.onset + 1, pad = Math.max(Math.round(fps), 2 * length);
    const a = Math.max(0, iv.onset - pad), b = Math.min(nFrames, iv.offset + 1 + pad);
    const x = (f) => ((f - a) * W) / (b - a), C = lanes(44, 12, false);
    ctx.textContent = "";
    axis.textContent = "";
    ctx.setAttribute("viewBox", "0 0 " + W + " " + C.height);
    ctx.style.height = C.height + "px";
    const g = document.createDocumentFragment();
    drawLanes(g, C, W);
    drawGaps(g, C.height, a, b, x);
    node("rect", {x: x(iv.onset), y: 0, width: x(iv.offset + 1) - x(iv.onset), height: C.height, class: "ctx-band"}, g);
    drawSignal(g, "macro", C.signal, a, b, x);
    drawSignal(g, "micro", C.signal, a, b, x);
    let lo = 0, hi = items.length;  // first interval that can reach frame a
    while (lo < hi) { const mid = (lo + hi) >> 1; if (items[mid].onset < a - maxLength) lo = mid + 1; else hi = mid; }
    for (let pos = lo; pos < items.length && items[pos].onset < b; pos++) {
      if (items[pos].offset >= a) mark(g, items[pos], pos, C, x, "ctx-iv" + (items[pos] === iv ? " current" : ""));
    }
    const ax = x(iv.apex + 0.5);
    node("line", {x1: ax, x2: ax, y1: 0, y2: C.height, class: "apex-line", "vector-effect": "non-scaling-stroke"}, g);
    ctx.appendChild(g);
    axisLabel(axis, 0, "frame " + a);
    axisLabel(axis, (iv.apex + 0.5 - a) / (b - a), "apex " + iv.apex);
    axisLabel(axis, 1, "frame " + (b - 1));
  }
  function showDetail(iv) {
    $("detail-empty").hidden = true;
    $("detail-body").hidden = false;
    $("detail-id").textContent = "#" + iv.id;
    const type = $("detail-type");
    type.textContent = iv.type;
    type.className = "badge " + iv.type;
    const label = $("detail-label");
    label.textContent = "";
    h("span", "dot", null, label).style.background = colour(iv.label);
    label.append(iv.label == null ? "unclassified" : iv.label);

    const facts = $("detail-facts");
    facts.textContent = "";
    fact(facts, "Onset", String(iv.onset), clock(iv.onset));
    fact(facts, "Apex", String(iv.apex), "+" + Math.round((1000 * (iv.apex - iv.onset)) / fps) + " ms");
    fact(facts, "Offset", String(iv.offset), clock(iv.offset));
    fact(facts, "Length", lengthText(iv), iv.offset - iv.onset + 1 + " frames");
    fact(facts, "Spotting score", fixed(iv.score, 3));
    const tq = fact(facts, "Face tracking", percent(iv.tracking_quality));
    if (iv.tracking_quality != null) {
      const meter = h("div", "meter" + (iv.tracking_quality < LOW_TRACKING ? " low" : ""), null, tq);
      meter.setAttribute("role", "meter");
      meter.setAttribute("aria-label", "tracking quality");
      meter.setAttribute("aria-valuemin", "0");
      meter.setAttribute("aria-valuemax", "1");
      meter.setAttribute("aria-valuenow", String(iv.tracking_quality));
      h("i", "", null, meter).style.width = Math.max(0, Math.min(1, iv.tracking_quality)) * 100 + "%";
    }
    if (truth) fact(facts, "Ground truth", iv.truth_match == null ? "no match" : "matched", truthText(iv, false));
    const flags = $("detail-flags");
    flags.textContent = "";
    for (const flag of iv.flags) flagChip(flag, flags, false);

    drawContext(iv);
    const captions = {onset: ["Onset", "frame " + iv.onset], apex: ["Apex", "frame " + iv.apex],
                      flow: ["Optical flow", "onset → apex"], strain: ["Optical strain", "onset → apex"]};
    for (const kind of KINDS) {
      const fig = $("detail-" + kind), img = fig.querySelector("img"), rel = iv.pictures[kind];
      const caption = fig.querySelector("figcaption");
      caption.textContent = "";
      h("b", "", captions[kind][0], caption);
      h("span", "", captions[kind][1], caption);
      fig.classList.toggle("missing", !rel);
      if (rel) img.setAttribute("src", encodePath(rel));
      else img.removeAttribute("src");
    }

    const scores = $("detail-scores");
    scores.textContent = "";
    if (iv.class_scores == null) {
      h("span", "muted", "Not classified.", scores);
    } else {
      const names = R.model.classes.filter((c) => c in iv.class_scores)
        .concat(Object.keys(iv.class_scores).filter((c) => !classColour.has(c)));
      const top = names.reduce((m, c) => (m == null || iv.class_scores[c] > iv.class_scores[m] ? c : m), null);
      for (const c of names) {
        const v = iv.class_scores[c], cls = c === top ? "top" : "";
        h("span", cls, c, scores);
        const bar = h("div", "bar", null, scores);
        bar.setAttribute("role", "img");
        bar.setAttribute("aria-label", c + " score " + fixed(v, 2));
        const fill = h("i", "", null, bar);
        fill.style.width = Math.max(0, Math.min(1, v)) * 100 + "%";
        fill.style.background = colour(c);
        h("span", "num " + cls, fixed(v, 2), scores);
      }
    }
    const aus = $("detail-aus");
    aus.textContent = "";
    if (iv.aus.length) for (const au of iv.aus) h("span", "", au, aus);
    else h("span", "muted", R.model.au_model ? "None detected." : "No action-unit model was used.", aus);
  }

  // ---------------------------------------------------------------- start
  updateCount();
  if (!items.length) {
    document.body.classList.add("no-intervals");
    $("empty-message").hidden = false;
    $("table-wrap").hidden = true;
    $("detail").hidden = true;
    document.querySelector("#timeline-panel .filter").hidden = true;
    document.querySelector("#timeline-panel .hint").hidden = true;
    return;
  }
  const wanted = /^#interval-(-?\d+)$/.exec(location.hash);
  const start = wanted ? items.findIndex((iv) => String(iv.id) === wanted[1]) : -1;
  select(start >= 0 ? start : 0, "init");
})();
"""
