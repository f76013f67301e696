/* dashboard.js -- the trawl serve dashboard: polls /dashboard/api/stats
 * once a second for the figures and charts, and listens to
 * /dashboard/events (the /v1/events stream) for threat events, asking for
 * the recent history on its first connection (?last_event_id=0) and, on a
 * reconnection, for what it missed (the browser sends Last-Event-ID). */
"use strict";

const COLORS = { prompt_injection: "#e0504c", shadow_ai: "#4aa3df", polymorphic: "#e0b84c",
                 synthetic_media: "#b07ad9", ai_vs_ai: "#8fbf6a" };
const MAX_ROWS = 200;
const $ = (id) => document.getElementById(id);

function fmt(n, digits) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  if (digits !== undefined) return n.toFixed(digits);
  if (n >= 1e6) return (n / 1e6).toFixed(1) + "M";
  if (n >= 1e4) return (n / 1e3).toFixed(1) + "k";
  return String(Math.round(n));
}

function axes(yLabel) {
  const ax = { stroke: "#8593a1", grid: { stroke: "#2a333d", width: 1 }, ticks: { stroke: "#2a333d" } };
  return [Object.assign({}, ax), Object.assign({ label: yLabel }, ax)];
}

function chart(el, series, yLabel, yRange) {
  const opts = {
    width: Math.max(300, el.clientWidth), height: 180, series: [{}].concat(series),
    axes: axes(yLabel), legend: { live: false }, cursor: { drag: { x: false, y: false } },
    scales: yRange ? { y: { range: yRange } } : {},
  };
  const data = [[]].concat(series.map(() => []));
  return new uPlot(opts, data, el);
}

const charts = {};

function makeCharts(detectors) {
  charts.rps = chart($("c-rps"), [{ label: "requests/s", stroke: "#4aa3df", fill: "rgba(74,163,223,.15)" }],
                     "req/s");
  charts.threats = chart($("c-threats"), detectors.map((d) => ({ label: d, stroke: COLORS[d] || "#ccc" })),
                         "threats/s");
  charts.cache = chart($("c-cache"), [{ label: "hit rate", stroke: "#8fbf6a" }], "hit rate", [0, 1]);
  window.addEventListener("resize", () => {
    for (const k in charts) {
      const el = charts[k].root.parentNode;
      charts[k].setSize({ width: Math.max(300, el.clientWidth), height: 180 });
    }
  });
}

function fillTable(id, rows, cells) {
  const body = $(id).tBodies[0];
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement("tr");
    for (const [text, cls] of cells(r)) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

function sum(a, from) {
  let s = 0;
  for (let i = Math.max(0, from); i < a.length; i++) s += a[i];
  return s;
}

function render(st) {
  const se = st.series;
  const n = se.t.length;
  $("uptime").textContent = "up " + fmt(st.uptime_s) + " s";
  $("k-rps").textContent = n ? fmt(sum(se.requests, n - 5) / Math.min(5, n)) : "–";
  $("k-threats").textContent = fmt(sum(se.threats, n - 60));
  $("k-total").textContent = fmt(st.totals.threats);
  const c = st.totals.cache;
  $("k-cache").textContent = !c.enabled ? "off" : c.hit_rate === null ? "–" : fmt(100 * c.hit_rate, 1) + " %";
  $("k-lat").textContent = fmt(st.latency_us.p50, 0) + " / " + fmt(st.latency_us.p99, 0) + " µs";
  const names = st.detectors.map((d) => d.name);
  if (!charts.rps) makeCharts(names);
  charts.rps.setData([se.t, se.requests]);
  charts.threats.setData([se.t].concat(names.map((d) => se.detectors[d])));
  charts.cache.setData([se.t, se.cache_hit_rate]);
  fillTable("t-det", st.detectors.filter((d) => d.enabled || d.runs), (d) => [
    [d.name], [fmt(d.runs), "num"], [fmt(d.p50_us, 1), "num"], [fmt(d.p99_us, 1), "num"],
    [fmt(d.max_us, 1), "num"], [fmt(d.threats), "num"]]);
  fillTable("t-cat", st.categories.slice(0, 10), (x) => [[x.name], [fmt(x.count), "num"]]);
  fillTable("t-cli", st.clients.slice(0, 10), (x) => [[x.name], [fmt(x.count), "num"]]);
}

let pollFailed = false;

async function poll() {
  try {
    const r = await fetch("/dashboard/api/stats", { cache: "no-store" });
    if (!r.ok) throw new Error("HTTP " + r.status);
    render(await r.json());
    if (pollFailed) setStatus(true);
    pollFailed = false;
  } catch (e) {
    pollFailed = true;
    setStatus(false);
  }
}

function setStatus(live) {
  const s = $("status");
  s.textContent = live ? "live" : "offline";
  s.className = "status " + (live ? "live" : "down");
}

function addRow(cells, cls) {
  const body = $("events").tBodies[0];
  const tr = document.createElement("tr");
  tr.className = cls || "fresh";
  for (const c of cells) {
    const td = document.createElement("td");
    if (c instanceof Node) td.appendChild(c); else td.textContent = c;
    tr.appendChild(td);
  }
  body.insertBefore(tr, body.firstChild);
  while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
}

function onThreat(ev) {
  const d = JSON.parse(ev.data);
  const sev = document.createElement("span");
  sev.className = "sev " + d.severity;
  sev.textContent = d.severity;
  const t = new Date(d.timestamp);
  addRow([ev.lastEventId || "", t.toLocaleTimeString(), d.client, d.detector, sev,
          d.threat_score.toFixed(2), (d.categories || []).join(", ")]);
  $("ev-note").textContent = "(newest first; the last " + MAX_ROWS + " are kept)";
}

function onGap(ev) {
  const d = JSON.parse(ev.data);
  const row = ["", "", "", "", "", "", "events " + d.from + "–" + d.to + " were not replayed"];
  addRow(row, "gap");
}

function listen() {
  const es = new EventSource("/dashboard/events?last_event_id=0");
  es.addEventListener("threat", onThreat);
  es.addEventListener("gap", onGap);
  es.onopen = () => setStatus(true);
  es.onerror = () => setStatus(false); /* the browser reconnects with Last-Event-ID */
}

poll();
setInterval(poll, 1000);
listen();
