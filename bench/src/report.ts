// The run's outputs: results.md (tables), results.json (every sample) and ratios.svg (a bar chart drawn by hand).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Machine } from './machine.js';
import type { BenchOptions, HeldSummary, LoadSummary, RoleFigure, ScenarioResult, TransferSummary } from './types.js';

export interface Run {
  date: string;
  command: string;
  options: BenchOptions;
  machine: Machine;
  results: ScenarioResult[];
}

export async function writeReport(run: Run): Promise<{ markdown: string; files: string[] }> {
  await mkdir(run.options.out, { recursive: true });
  const markdown = renderMarkdown(run);
  const files = [join(run.options.out, 'results.md'), join(run.options.out, 'results.json'), join(run.options.out, 'ratios.svg')];
  await writeFile(files[0]!, markdown);
  await writeFile(files[1]!, `${JSON.stringify(run, null, 2)}\n`);
  await writeFile(files[2]!, renderSvg(run));
  return { markdown, files };
}

const fixed = (n: number | undefined, digits: number) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));
const ratio = (n: number | undefined) => (n === undefined ? '–' : `${n.toFixed(2)}×`);
const mib = (kib: number) => (kib / 1024).toFixed(1);
const sum = (figures: RoleFigure[], group: 'proxy' | 'backend') => {
  const inGroup = figures.filter((f) => f.group === group);
  return inGroup.length ? inGroup.reduce((s, f) => s + f.value, 0) : undefined;
};
/** "router 31.2, worker 40.1": every process's figure, for the line under a table. */
const perRole = (figures: RoleFigure[], digits: number) => figures.map((f) => `${f.role} ${f.value.toFixed(digits)}`).join(', ');

function machineLine(m: Machine): string {
  const tools = Object.values(m.tools).join('; ');
  return `${m.nproc} × ${m.cpuModel}, Linux ${m.kernel}, Node ${m.node}; ${tools}; 1-min load average ${m.loadAverage.start.toFixed(2)} at start, ${m.loadAverage.end.toFixed(2)} at end`;
}

export function renderMarkdown(run: Run): string {
  const o = run.options;
  const out: string[] = [
    `# Switchboard bench, ${run.date}`,
    '',
    `- Machine: ${machineLine(run.machine)}`,
    `- Command: \`${run.command}\``,
    `- Settings: ${o.rounds} interleaved round(s) of ${o.durationS} s per load scenario, load from ${o.tool}; streamed response ${o.streamBytes / 2 ** 20} MiB, upload ${o.uploadBytes / 2 ** 20} MiB; ${o.held} held connections (1 round)`,
    '- Figures are medians over rounds; ratios are medians of per-round ratios to the reference measured in the same round.',
    '',
    ...goals(run.results),
  ];
  for (const r of run.results) {
    out.push(`## ${r.scenario.title} (\`${r.scenario.name}\`)`, '', `Reproduce: \`${r.command}\``);
    if (r.loadCommand) out.push(`Load: \`${r.loadCommand}\``);
    out.push('');
    const summaries = r.summaries;
    if (r.scenario.kind === 'load') out.push(...loadTable(summaries as LoadSummary[]));
    else if (r.scenario.kind === 'transfer') out.push(...transferTable(summaries as TransferSummary[]));
    else out.push(...heldTable(summaries as HeldSummary[]));
    for (const s of r.skipped) out.push(`- Skipped: ${s.reason}`);
    for (const note of r.notes) out.push(`- Note: ${note}`);
    for (const run of r.runs) for (const f of run.failures) out.push(`- ${run.label} failed ${f}`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

function goals(results: ScenarioResult[]): string[] {
  const find = <T>(scenario: string, kind: string, label = 'router ×') =>
    results.find((r) => r.scenario.name === scenario)?.summaries.find((s) => s.label.startsWith(label) && s.kind === kind) as T | undefined;
  const hello50 = find<LoadSummary>('hello-50', 'load');
  const origin50 = find<LoadSummary>('hello-50', 'load', 'router + http-origin');
  const hello1 = find<LoadSummary>('hello-1', 'load');
  const size64k = find<LoadSummary>('size-64k', 'load');
  const stream = find<TransferSummary>('stream', 'transfer');
  const upload = find<TransferSummary>('upload', 'transfer');
  const held = find<HeldSummary>('held', 'held');
  const rows: [string, string, string][] = [];
  if (hello50) rows.push(['router req/s ÷ nginx → node:http, 50 connections', ratio(hello50.vsNginx), '≥ 1.3×']);
  if (hello50) rows.push(['router CPU per request, 50 connections', `${fixed(sum(hello50.cpuUsPerRequest, 'proxy'), 1)} µs`, '≤ 12 µs']);
  for (const transport of ['tcp', 'ipc']) {
    const floor = find<LoadSummary>('hello-1', 'load', `zeromq.js floor (${transport})`);
    if (hello1 && floor) {
      const above = (hello1.p50Ms - floor.p50Ms) * 1000;
      rows.push([`router p50 − zeromq.js floor p50 (${transport}), 1 connection`, `${fixed(above, 0)} µs (${fixed(hello1.p50Ms * 1000, 0)} − ${fixed(floor.p50Ms * 1000, 0)})`, '≤ 20 µs']);
    }
  }
  if (size64k) rows.push(['router req/s ÷ nginx, 64 KiB responses, 50 connections', ratio(size64k.vsNginx), '≥ 1.0×']);
  if (stream) rows.push(['router MB/s ÷ nginx, one streamed response', ratio(stream.vsNginx), '≥ 1.0×']);
  if (upload) rows.push(['router MB/s ÷ nginx (proxy_request_buffering off), one streamed upload', ratio(upload.vsNginx), '≥ 0.8×']);
  if (held) rows.push([`router RSS per held connection (${held.opened} held)`, `${fixed(held.perConnectionKiB, 2)} KiB`, '≤ 4 KiB']);
  if (origin50) rows.push(['router + http-origin req/s ÷ nginx → node:http, 50 connections (issue 13)', ratio(origin50.vsNginx), '≥ 0.8×']);
  if (rows.length === 0) return [];
  return ['## Goals (issues 15 and 13)', '', '| figure | measured | goal |', '|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`), ''];
}

function loadTable(rows: LoadSummary[]): string[] {
  const lines = [
    '| target | req/s | × direct | × nginx | p50 ms | p50 × nginx | p99 ms | errors | proxy CPU µs/req | app CPU µs/req | proxy peak RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of rows) {
    const proxyRss = sum(s.peakRssKiB, 'proxy');
    lines.push(
      `| ${s.label} | ${Math.round(s.rps)} | ${ratio(s.vsDirect)} | ${ratio(s.vsNginx)} | ${fixed(s.p50Ms, 2)} | ${ratio(s.p50VsNginx)} | ${fixed(s.p99Ms, 2)} | ${s.errors} | ${fixed(sum(s.cpuUsPerRequest, 'proxy'), 1)} | ${fixed(sum(s.cpuUsPerRequest, 'backend'), 1)} | ${proxyRss === undefined ? '–' : mib(proxyRss)} |`,
    );
  }
  lines.push('');
  for (const s of rows) lines.push(`- ${s.label}: CPU µs/req ${perRole(s.cpuUsPerRequest, 1)}; peak RSS MiB ${s.peakRssKiB.map((f) => `${f.role} ${mib(f.value)}`).join(', ')}`);
  return lines;
}

function transferTable(rows: TransferSummary[]): string[] {
  const lines = [
    '| target | MB/s | × direct | × nginx | proxy CPU µs/MiB | app CPU µs/MiB | proxy peak RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of rows) {
    const proxyRss = sum(s.peakRssKiB, 'proxy');
    lines.push(
      `| ${s.label} | ${s.mbps.toFixed(1)}${s.cutRounds ? ` (cut in ${s.cutRounds}/${s.rounds})` : ''} | ${ratio(s.vsDirect)} | ${ratio(s.vsNginx)} | ${fixed(sum(s.cpuUsPerMiB, 'proxy'), 0)} | ${fixed(sum(s.cpuUsPerMiB, 'backend'), 0)} | ${proxyRss === undefined ? '–' : mib(proxyRss)} |`,
    );
  }
  lines.push('');
  for (const s of rows) lines.push(`- ${s.label}: CPU µs/MiB ${perRole(s.cpuUsPerMiB, 0)}`);
  return lines;
}

function heldTable(rows: HeldSummary[]): string[] {
  const lines = [
    '| target | held / asked | s to open | proxy RSS before MiB | proxy RSS held MiB | proxy KiB per held conn | × nginx | app KiB per held conn |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of rows) {
    const app = s.roles.filter((r) => r.group === 'backend');
    const behindProxy = s.roles.some((r) => r.group === 'proxy') && app.length > 0;
    const appPerConn = behindProxy ? fixed(app.reduce((t, r) => t + r.perConnectionKiB, 0), 2) : '–';
    lines.push(
      `| ${s.label} | ${s.opened} / ${s.asked} | ${s.openSeconds.toFixed(1)} | ${mib(s.rssBeforeKiB)} | ${mib(s.rssHeldKiB)} | ${s.perConnectionKiB.toFixed(2)} | ${ratio(s.vsNginx)} | ${appPerConn} |`,
    );
  }
  lines.push('', '"proxy" is the node:http server itself for direct node:http.', '');
  for (const s of rows) {
    const failures = Object.entries(s.failures).map(([cause, n]) => `${n} ${cause}`);
    const perRole = s.roles.map((r) => `${r.role} ${r.perConnectionKiB.toFixed(2)}`).join(', ');
    lines.push(`- ${s.label}: KiB per held connection ${perRole}${failures.length ? `; not held: ${failures.join(', ')}` : ''}`);
  }
  return lines;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Widest ratio the axis shows: a longer bar stops at the edge, its label still gives the value. */
const AXIS_CAP = 3;

/** Horizontal bars: each target's throughput as a multiple of direct node:http and of nginx, one group per scenario. */
export function renderSvg(run: Run): string {
  interface Bar {
    label: string;
    vsDirect?: number;
    vsNginx?: number;
  }
  const groups: { title: string; bars: Bar[] }[] = [];
  for (const r of run.results) {
    if (r.scenario.kind === 'held') continue;
    const bars = (r.summaries as (LoadSummary | TransferSummary)[])
      .filter((s) => s.vsDirect !== undefined || s.vsNginx !== undefined)
      .map((s) => ({ label: s.label, vsDirect: s.vsDirect, vsNginx: s.vsNginx }));
    if (bars.length) groups.push({ title: r.scenario.title, bars });
  }
  const labelWidth = 190;
  const plotWidth = 460;
  const barHeight = 11;
  const widest = Math.max(1.5, ...groups.flatMap((g) => g.bars.flatMap((b) => [b.vsDirect ?? 0, b.vsNginx ?? 0])));
  const scale = Math.min(AXIS_CAP, Math.ceil(widest * 2) / 2);
  const x = (v: number) => (labelWidth + (Math.min(v, scale) / scale) * plotWidth).toFixed(1);
  const parts: string[] = [];
  let y = 50;
  for (const g of groups) {
    parts.push(`<text x="8" y="${y}" font-weight="bold">${escapeXml(g.title)}</text>`);
    y += 8;
    for (const b of g.bars) {
      parts.push(`<text x="${labelWidth - 6}" y="${y + barHeight + 3}" text-anchor="end">${escapeXml(b.label)}</text>`);
      for (const [value, color] of [
        [b.vsDirect, '#4878a8'],
        [b.vsNginx, '#e08a2c'],
      ] as const) {
        if (value !== undefined) {
          const end = x(value);
          parts.push(`<rect x="${labelWidth}" y="${y}" width="${(Number(end) - labelWidth).toFixed(1)}" height="${barHeight - 1}" fill="${color}"/>`);
          const label = `${value.toFixed(2)}×${value > scale ? ' (off the axis)' : ''}`;
          parts.push(`<text x="${(Number(end) + 4).toFixed(1)}" y="${y + barHeight - 2}" font-size="10">${label}</text>`);
        }
        y += barHeight;
      }
      y += 6;
    }
    y += 10;
  }
  const height = y + 24;
  const ticks: string[] = [];
  for (let v = 0; v <= scale + 1e-9; v += 0.5) {
    const one = v === 1;
    ticks.push(`<line x1="${x(v)}" y1="34" x2="${x(v)}" y2="${height - 24}" stroke="${one ? '#000' : '#ddd'}" stroke-width="${one ? 1.5 : 1}"/>`);
    ticks.push(`<text x="${x(v)}" y="${height - 10}" text-anchor="middle" font-size="10">${v.toFixed(1)}×</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 110}" height="${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>
<text x="8" y="18" font-size="13" font-weight="bold">Throughput relative to direct node:http and to nginx → node:http (${escapeXml(run.date)})</text>
<rect x="${labelWidth}" y="25" width="10" height="8" fill="#4878a8"/><text x="${labelWidth + 14}" y="33">× direct</text>
<rect x="${labelWidth + 80}" y="25" width="10" height="8" fill="#e08a2c"/><text x="${labelWidth + 94}" y="33">× nginx</text>
${ticks.join('\n')}
${parts.join('\n')}
</svg>
`;
}
