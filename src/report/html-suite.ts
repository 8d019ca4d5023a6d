// summary.html: a suite as one page, a row per scenario with a link to its report.html, and the
// trend of each scenario's RTO over earlier runs when a history of them is given.

import { resolve } from 'node:path';
import type { RunReport } from '../core/report-model.js';
import type { TrendPoint } from '../history/trend.js';
import { asDeclared, type SuiteEntry, type SuiteSummary } from '../suite/summary.js';
import { formatDuration, formatRto } from './format.js';
import { lineChart } from './html-chart.js';
import { html, type SafeHtml } from './html-escape.js';
import { page, table, verdictText } from './html-page.js';
import { lostWritesText, runLostWrites } from './iteration-facts.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  60_000,
  300_000,
  900_000,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
];
const PALETTE_SIZE = 8;

function dateTicks(from: number, to: number): { ticks: number[]; format: (t: number) => string } {
  const step = TIME_STEPS.find((s) => (to - from) / s <= 6) ?? Math.ceil((to - from) / 6 / DAY) * DAY;
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  const iso = (t: number) => new Date(t).toISOString();
  const format =
    step >= DAY ? (t: number) => iso(t).slice(0, 10) : (t: number) => iso(t).slice(5, 16).replace('T', ' ');
  return { ticks, format };
}

/** The RTO of each scenario over time, a line per scenario; "no history yet" without points. */
export function renderTrend(points: readonly TrendPoint[]): SafeHtml {
  const dated = points
    .map((p) => ({ ...p, t: Date.parse(p.startedAt) }))
    .filter((p) => Number.isFinite(p.t))
    .sort((a, b) => a.t - b.t);
  if (dated.length === 0)
    return html`<p class="note trend-empty">No history yet: the trend appears once earlier suite runs are recorded.</p>`;
  const names = [...new Set(dated.map((p) => p.scenario))].sort();
  const first = dated[0]!.t;
  const last = dated.at(-1)!.t;
  // A single moment still needs a width to be drawn in.
  const [from, to] =
    last > first ? [first, last + (last - first) * 0.02] : [first - 12 * HOUR, first + 12 * HOUR];
  const { ticks, format } = dateTicks(from, to);
  const noRto = dated.filter((p) => p.rtoMs === null).length;
  return html`<div class="trend">${lineChart({
    kind: 'rto-trend',
    title: 'RTO per scenario over time',
    xs: [],
    xRange: [from, to],
    xTicks: ticks,
    formatX: format,
    formatY: formatDuration,
    series: names.map((name, i) => {
      const own = dated.filter((p) => p.scenario === name);
      return {
        name,
        cls: `p${i % PALETTE_SIZE}`,
        xs: own.map((p) => p.t),
        values: own.map((p) => p.rtoMs),
        dots: own.map((p) => ({
          cls: `d-${p.verdict}`,
          title: `${name}, ${p.startedAt}: RTO ${p.rtoMs === null ? 'none' : formatDuration(p.rtoMs)} (${p.verdict.toUpperCase()})`,
        })),
      };
    }),
    note: `${dated.length} runs, times in UTC; a dot's colour is the run's verdict${noRto > 0 ? `; not drawn: ${noRto} run${noRto === 1 ? '' : 's'} without an RTO figure (no impact, never recovered, or error)` : ''}.`,
  })}</div>`;
}

/**
 * The run of an entry: the report whose directory holds the entry's report.json; for merged shards,
 * whose runs were made elsewhere, the report in the entry's place when it is of that scenario.
 */
function reportOf(
  s: SuiteSummary,
  i: number,
  dir: string,
  reports: readonly RunReport[],
): RunReport | undefined {
  const e = s.scenarios[i]!;
  const file = resolve(dir, e.report);
  const same = reports.find((r) => resolve(r.runDir, 'report.json') === file);
  if (same) return same;
  const inPlace = reports.length === s.scenarios.length ? reports[i] : undefined;
  return inPlace?.scenario.name === e.name ? inPlace : undefined;
}

/** The link to a run's report.html, next to its report.json, relative to the summary. */
function reportLink(e: SuiteEntry): string {
  return e.report
    .replace(/report\.json$/, 'report.html')
    .split('/')
    .map(encodeURIComponent)
    .join('/');
}

function row(e: SuiteEntry, report: RunReport | undefined): SafeHtml[] {
  const lost = report ? runLostWrites(report) : null;
  return [
    html`<code>${e.name}</code>`,
    verdictText(e.verdict),
    html`<span class="${e.exitCode === 0 ? 't-pass' : 't-fail'}">${asDeclared(e)}</span>`,
    html`${report && report.iterations.length > 0 ? report.iterations.map((it) => formatRto(it.rtoMs, it.impact)).join(', ') : '—'}`,
    html`${lostWritesText(lost)}`,
    html`${formatDuration(e.wallMs)}`,
    html`${e.error ? `${e.error.code}: ${e.error.message}` : e.failing.join('; ') || '—'}`,
    html`<a href="${reportLink(e)}">report.html</a>`,
  ];
}

export function renderSummaryHtml(
  s: SuiteSummary,
  dir: string,
  reports: readonly RunReport[],
  history: readonly TrendPoint[] = [],
): string {
  const declared = s.scenarios.filter((e) => e.exitCode === 0).length;
  const total = s.scenarios.length + s.notRun.length;
  const sel = s.selection;
  const notRun =
    s.notRun.length === 0
      ? null
      : html`<h2>Not run</h2><ul class="facts">${s.notRun.map(
          (n) =>
            html`<li><code>${n.name}</code>: ${n.reason === 'bail' ? 'skipped after a run that did not behave as declared (--bail)' : 'interrupted'}</li>`,
        )}</ul>`;
  const body = html`<header><h1><span class="badge ${s.exitCode === 0 ? 'v-pass' : s.exitCode === 1 ? 'v-fail' : 'v-error'}">exit ${s.exitCode}</span> Suite: ${declared} of ${total} scenarios behaved as declared</h1>
<ul class="facts"><li>Started ${s.startedAt}, finished ${s.finishedAt} (${formatDuration(s.wallMs)})</li>
<li>Selection: ${sel.refs.length ? sel.refs.join(' ') : 'every scenario in scenarios/'}${sel.tags.length ? `, tags ${sel.tags.join(', ')}` : ''}, ${sel.selected} selected${sel.shards.length ? `, shards ${sel.shards.join(', ')}` : ''}</li>
<li>${s.tool.name} ${s.tool.version}</li></ul></header>
<h2>Scenarios</h2>${table(
    [
      'Scenario',
      'Verdict',
      'As declared',
      { label: 'RTO per iteration', num: true },
      { label: 'Lost writes', num: true },
      { label: 'Wall time', num: true },
      'Targets not passed',
      'Report',
    ],
    s.scenarios.map((e, i) => row(e, reportOf(s, i, dir, reports))),
  )}${notRun}<h2>RTO trend</h2>${renderTrend(history)}
<footer>${s.tool.name} ${s.tool.version}: summary.html, drawn from the same data as summary.json. It loads nothing from anywhere.</footer>`;
  return page(`Suite: ${declared} of ${total} behaved as declared`, body);
}

export type { TrendPoint };
