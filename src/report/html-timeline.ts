// One probe's iteration as three charts over time (throughput, error rate, latency), drawn from the
// timeline measurement recorded, with the fault window shaded and marks where the fault was
// injected, detected and recovered from. Times on the x axis count from t_inject.

import type { IterationResult, ProbeIterationResult, ProbeTimeline } from '../core/report-model.js';
import { formatDuration, formatNumber, formatOffset, formatPercent } from './format.js';
import { type ChartMark, lineChart } from './html-chart.js';
import { html, type SafeHtml } from './html-escape.js';

/** More points than a chart has pixels add bytes and nothing else. */
export const MAX_POINTS = 600;

/** The timeline's buckets grouped for drawing: `k` buckets a point. */
export interface DisplayBuckets {
  k: number;
  /** Middle of each point's span, ms from `originMs`. */
  xs: number[];
  /** Length of each point's span (the last may be shorter). */
  widthMs: number[];
  started: number[];
  ok: number[];
  /** Failed + timed out. */
  bad: number[];
  /** The highest p50 / p95 of the buckets in the point (its own when k is 1). */
  p50Ms: (number | null)[];
  p95Ms: (number | null)[];
}

const maxOrNull = (values: readonly (number | null | undefined)[]): number | null => {
  const present = values.filter((v): v is number => typeof v === 'number');
  return present.length === 0 ? null : Math.max(...present);
};

/**
 * A point covers at least two probe intervals (a probe slower than the bucket would otherwise draw
 * a comb of 0 and 1 operations) and there are at most MAX_POINTS of them.
 */
export function displayBuckets(t: ProbeTimeline, intervalMs: number, originMs: number): DisplayBuckets {
  const n = t.started.length;
  const k = Math.max(1, Math.ceil((2 * intervalMs) / t.bucketMs), Math.ceil(n / MAX_POINTS));
  const out: DisplayBuckets = { k, xs: [], widthMs: [], started: [], ok: [], bad: [], p50Ms: [], p95Ms: [] };
  const sum = (xs: readonly number[], from: number) => xs.slice(from, from + k).reduce((a, b) => a + b, 0);
  for (let i = 0; i < n; i += k) {
    const from = t.startMs + i * t.bucketMs;
    const to = Math.min(t.endMs, from + k * t.bucketMs);
    out.xs.push((from + to) / 2 - originMs);
    out.widthMs.push(to - from);
    out.started.push(sum(t.started, i));
    out.ok.push(sum(t.ok, i));
    out.bad.push(sum(t.failed, i) + sum(t.unknown, i));
    out.p50Ms.push(maxOrNull(t.p50Ms.slice(i, i + k)));
    out.p95Ms.push(maxOrNull(t.p95Ms.slice(i, i + k)));
  }
  return out;
}

/** "−2 s", "0", "+1.5 s": an offset from t_inject. */
function fromInject(ms: number): string {
  if (ms === 0) return '0';
  return `${ms < 0 ? '−' : '+'}${formatDuration(Math.abs(ms))}`;
}

function marksOf(it: IterationResult, p: ProbeIterationResult): ChartMark[] {
  const at = (ms: number) => ms - it.tInjectMs;
  const marks: ChartMark[] = [
    { label: 'inject', x: 0, cls: 'm-inject', title: `fault injected at ${formatOffset(it.tInjectMs)}` },
  ];
  const detectedAtMs = it.detectedAtMs ?? (it.mttdMs === null ? null : it.tInjectMs + it.mttdMs);
  if (detectedAtMs !== null)
    marks.push({
      label: 'detected',
      x: at(detectedAtMs),
      cls: 'm-detected',
      title: `detected at ${formatOffset(detectedAtMs)}${it.mttdMs === null ? '' : ` (MTTD ${formatDuration(it.mttdMs)})`}`,
    });
  for (const f of it.faults)
    if (f.endedAtMs !== undefined)
      marks.push({
        label: 'fault ended',
        x: at(f.endedAtMs),
        cls: 'm-ended',
        title: `${f.kind} ended at ${formatOffset(f.endedAtMs)}`,
      });
  const rec = p.rto.recoveredAtMs;
  if (rec !== null)
    marks.push({
      label: 'recovered',
      x: at(rec),
      cls: 'm-recovered',
      title: `${p.probe} recovered at ${formatOffset(rec)}${p.rto.rtoMs === null ? '' : ` (RTO ${formatDuration(p.rto.rtoMs)})`}`,
    });
  return marks;
}

/** The three charts of one probe in one iteration, or why there are none. */
export function probeCharts(it: IterationResult, p: ProbeIterationResult): SafeHtml {
  const t = p.timeline;
  if (!t || t.started.length === 0)
    return html`<p class="note">No timeline was recorded for this probe (the report predates timelines, or the iteration ended before it started).</p>`;
  const origin = it.tInjectMs;
  const d = displayBuckets(t, p.intervalMs, origin);
  const nominalMs = d.k * t.bucketMs;
  const faultEndMs = it.faultEndMs ?? it.tInjectMs + p.phases.fault.durationMs;
  const common = {
    xs: d.xs,
    xRange: [t.startMs - origin, t.endMs - origin] as const,
    formatX: fromInject,
    shade: {
      from: 0,
      to: faultEndMs - origin,
      title: `fault window: ${formatOffset(it.tInjectMs)} to ${formatOffset(faultEndMs)} (${formatDuration(faultEndMs - it.tInjectMs)})`,
    },
    marks: marksOf(it, p),
  };
  // A sliver of a last point would turn one operation into a spike of ops/s.
  const rate = (counts: readonly number[]) =>
    counts.map((c, i) => (d.widthMs[i]! < nominalMs / 2 ? null : (c * 1000) / d.widthMs[i]!));
  const merged = d.k > 1 ? `; latency: the highest p50 / p95 of its ${t.bucketMs} ms buckets` : '';
  const note = `Time from t_inject. Each point: ${formatDuration(nominalMs)} of operations, by the time they started${merged}.`;
  return html`<div class="charts">${[
    lineChart({
      ...common,
      kind: 'throughput',
      title: 'Throughput (operations/s)',
      formatY: formatNumber,
      series: [
        { name: 'started', cls: 's-started', values: rate(d.started) },
        { name: 'ok', cls: 's-ok', values: rate(d.ok) },
      ],
    }),
    lineChart({
      ...common,
      kind: 'error-rate',
      title: 'Error rate (failed or timed out)',
      yMax: 1,
      formatY: formatPercent,
      series: [
        {
          name: 'error rate',
          cls: 's-error',
          values: d.started.map((n, i) => (n === 0 ? null : d.bad[i]! / n)),
        },
      ],
    }),
    lineChart({
      ...common,
      kind: 'latency',
      title: 'Latency of successful operations',
      formatY: formatDuration,
      series: [
        { name: 'p50', cls: 's-p50', values: d.p50Ms },
        { name: 'p95', cls: 's-p95', values: d.p95Ms },
      ],
      note,
    }),
  ]}</div>`;
}
