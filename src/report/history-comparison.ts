// The figures of "Compared with earlier runs" (report.md and report.html): per metric, this run, the
// previous run, the baseline median and the change against it, as text.

import { PHASES, type RunReport } from '../core/report-model.js';
import { runFigures } from '../core/run-figures.js';
import { formatMaybeDuration, formatNumber } from './format.js';

/** "+12.3%" from baseline to now; "—" when either is missing. */
export function changePercent(now: number | null, base: number | null): string {
  if (now === null || base === null) return '—';
  if (base === 0) return now === 0 ? '0%' : 'from 0';
  const pct = ((now - base) / base) * 100;
  return `${pct > 0 ? '+' : ''}${formatNumber(pct)}%`;
}

const count = (v: number | null) => (v === null ? '—' : formatNumber(v));

export const COMPARISON_COLUMNS = (n: number) => [
  'Metric',
  'This run',
  'Previous run',
  `Baseline median (n = ${n})`,
  'Change vs baseline',
];

/** One row per metric that this run, the previous one or the baseline has. */
export function comparisonRows(r: RunReport): string[][] {
  const now = runFigures(r);
  const p = r.history?.previous;
  const b = r.history?.baseline;
  const rows: string[][] = [];
  const line = (
    metric: string,
    fmt: (v: number | null) => string,
    mine: number | null,
    prev: number | null,
    base: number | null,
  ) => rows.push([metric, fmt(mine), fmt(prev), fmt(base), changePercent(mine, base)]);
  const ms = (v: number | null) => formatMaybeDuration(v);
  line('RTO (median of the iterations)', ms, now.rtoMedianMs, p?.rtoMedianMs ?? null, b?.rtoMedianMs ?? null);
  line('MTTR', ms, now.mttrMs, p?.mttrMs ?? null, b?.mttrMedianMs ?? null);
  for (const [probe, phases] of Object.entries(now.p95Ms)) {
    for (const ph of PHASES) {
      const base = b?.p95MedianMs[probe]?.[ph] ?? null;
      if (phases[ph] === null && base === null) continue;
      line(`p95 latency, ${probe}, ${ph}`, ms, phases[ph], p?.p95Ms[probe]?.[ph] ?? null, base);
    }
  }
  if (now.lostWrites || p?.lostWrites)
    line(
      'Lost writes',
      count,
      now.lostWrites?.lost ?? null,
      p?.lostWrites?.lost ?? null,
      b?.lostWritesMedian ?? null,
    );
  return rows;
}
