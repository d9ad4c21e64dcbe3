// The dashboard at the admin listener's `/`: one self-contained page (inline CSS and JS, no CDN, charts drawn on
// <canvas> by hand), fed by /events: `history` once (the last minutes), then a `snapshot` a second.
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Switchboard router</title><link rel="icon" href="data:,">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;gap:16px;align-items:baseline}
header h1{font-size:18px;margin:0}#conn{font-size:12px;opacity:.8}
main{padding:16px 20px;display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(420px,1fr))}
section{background:#fff;border-radius:6px;padding:12px 16px;box-shadow:0 1px 2px #0002}
h2{font-size:14px;margin:0 0 8px;text-transform:uppercase;letter-spacing:.04em;color:#556}
.tiles{display:flex;gap:12px;flex-wrap:wrap}.tile{min-width:90px}.tile b{display:block;font-size:24px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 6px;border-bottom:1px solid #eee;font-size:13px}
.bar{background:#e6e9ef;height:8px;border-radius:4px;width:120px}.bar i{display:block;height:8px;border-radius:4px;background:#3b82f6}
.live{color:#15803d}.unresponsive{color:#b45309}.draining{color:#6b7280}canvas{width:100%;height:160px}
.legend span{margin-right:12px;font-size:12px}
</style></head><body>
<header><h1>Switchboard router</h1><span id="conn">connecting…</span></header>
<main>
<section><h2>Now</h2><div class="tiles">
<div class="tile">streams in flight<b id="inFlight">–</b></div><div class="tile">queued<b id="queued">–</b></div>
<div class="tile">held clients<b id="held">–</b></div><div class="tile">WebSockets<b id="webSockets">–</b></div><div class="tile">channels<b id="channels">–</b></div>
<div class="tile">workers<b id="workerCount">–</b></div><div class="tile">minimal workers<b id="minimal">–</b></div>
<div class="tile">ready<b id="ready">–</b></div></div></section>
<section><h2>Workers</h2><table><thead><tr><th>name</th><th>state</th><th>load</th><th>in flight</th><th>credit</th><th>last seen</th></tr></thead>
<tbody id="workers"></tbody></table></section>
<section><h2>Requests per second</h2><canvas id="rate" width="600" height="160"></canvas></section>
<section><h2>Latency, ms</h2><div class="legend"><span style="color:#3b82f6">p50</span><span style="color:#dc2626">p95</span></div>
<canvas id="latency" width="600" height="160"></canvas></section>
<section><h2>Streams in flight and held clients</h2><div class="legend"><span style="color:#16a34a">in flight</span><span style="color:#9333ea">held</span></div>
<canvas id="load" width="600" height="160"></canvas></section>
</main>
<script>
"use strict";
const WINDOW = 300;
let samples = [];
const $ = (id) => document.getElementById(id);
function chart(canvas, series) {
  const ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height, pad = 28;
  ctx.clearRect(0, 0, w, h);
  let max = 1;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  ctx.strokeStyle = '#e5e7eb'; ctx.fillStyle = '#6b7280'; ctx.font = '10px system-ui';
  for (let i = 0; i <= 4; i++) {
    const y = h - pad / 2 - (h - pad) * i / 4;
    ctx.beginPath(); ctx.moveTo(pad, y); ctx.lineTo(w, y); ctx.stroke();
    ctx.fillText(String(+(max * i / 4).toPrecision(3)), 0, y + 3);
  }
  for (const s of series) {
    ctx.strokeStyle = s.color; ctx.lineWidth = 1.5; ctx.beginPath();
    let pen = false;
    s.values.forEach((v, i) => {
      const x = pad + (w - pad) * (i + WINDOW - s.values.length) / (WINDOW - 1);
      if (v === null) { pen = false; return; }
      const y = h - pad / 2 - (h - pad) * v / max;
      if (pen) ctx.lineTo(x, y); else { ctx.moveTo(x - 1, y); ctx.lineTo(x + 1, y); }
      pen = true;
    });
    ctx.stroke();
  }
}
function draw() {
  chart($('rate'), [{ color: '#3b82f6', values: samples.map((s) => s.rate) }]);
  chart($('latency'), [{ color: '#3b82f6', values: samples.map((s) => s.p50) }, { color: '#dc2626', values: samples.map((s) => s.p95) }]);
  chart($('load'), [{ color: '#16a34a', values: samples.map((s) => s.inFlight) }, { color: '#9333ea', values: samples.map((s) => s.held) }]);
}
function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; }
function render(st) {
  for (const k of ['inFlight', 'queued', 'held', 'channels']) $(k).textContent = st[k];
  $('webSockets').textContent = st.webSockets['over-http'] + st.webSockets.stream;
  $('workerCount').textContent = st.workers.length; $('minimal').textContent = st.minimalWorkers;
  $('ready').textContent = st.ready ? 'yes' : 'no';
  const body = $('workers'); body.replaceChildren();
  for (const w of st.workers) {
    const row = body.insertRow(); row.dataset.name = w.name; row.dataset.id = w.id;
    cell(row, w.name); cell(row, w.state, w.state);
    const bar = document.createElement('div'); bar.className = 'bar'; const fill = document.createElement('i');
    fill.style.width = (w.maxStreams ? 100 * w.inFlight / w.maxStreams : 0) + '%'; bar.append(fill); row.insertCell().append(bar);
    cell(row, w.inFlight + ' / ' + w.maxStreams); cell(row, w.credit); cell(row, (w.lastSeenMsAgo / 1000).toFixed(1) + ' s ago');
  }
}
const events = new EventSource('events');
events.addEventListener('open', () => { $('conn').textContent = 'live'; });
events.addEventListener('error', () => { $('conn').textContent = 'disconnected: retrying…'; });
events.addEventListener('history', (e) => { samples = JSON.parse(e.data).slice(-WINDOW); draw(); });
events.addEventListener('snapshot', (e) => {
  const snap = JSON.parse(e.data);
  render(snap.status);
  if (snap.sample) { samples.push(snap.sample); if (samples.length > WINDOW) samples.shift(); draw(); }
});
</script></body></html>
`;
