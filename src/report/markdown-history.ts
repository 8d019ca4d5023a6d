// report.md's "Compared with earlier runs": this run's figures next to the previous run's and the
// baseline's (the median of the last passing runs in the history file).

import { PHASES, type RunReport } from '../core/report-model.js';
import { runFigures } from '../core/run-figures.js';
import { formatMaybeDuration, formatNumber, verdictLabel } from './format.js';
import { code, inline, table } from './markdown-table.js';

/** "+12.3%" from baseline to now; "—" when either is missing. */
export function changePercent(now: number | null, base: number | null): string {
  if (now === null || base === null) return '—';
  if (base === 0) return now === 0 ? '0%' : 'from 0';
  const pct = ((now - base) / base) * 100;
  return `${pct > 0 ? '+' : ''}${formatNumber(pct)}%`;
}

const count = (v: number | null) => (v === null ? '—' : formatNumber(v));

export function historySection(r: RunReport): string[] {
  const h = r.history;
  if (!h) return [];
  const out = ['## Compared with earlier runs', ''];
  const where = `${code(r.scenario.name)} on provider ${inline(r.environment.provider)} in ${code(h.file)}`;
  if (h.earlierRuns === 0) {
    out.push(`No earlier run of ${where}: this is the first, and later runs will compare with it.`);
    return out;
  }
  out.push(`${h.earlierRuns} earlier run(s) of ${where}, ${h.passingRuns} of them passing.`, '');
  const p = h.previous;
  if (p) {
    out.push(
      `- Previous run: ${code(p.runId)}, started ${p.startedAt}, ${verdictLabel(p.verdict)} (exit code ${p.exitCode})` +
        `${p.sameScenarioFile ? '' : ', with another version of the scenario file'}.`,
    );
  }
  const b = h.baseline;
  if (b) {
    out.push(
      `- Baseline: the median of the last ${b.n} passing run(s) (up to ${b.runs} are taken): ${b.runIds.map(code).join(', ')}` +
        `${b.otherScenarioFile ? `; ${b.otherScenarioFile} of them with another version of the scenario file` : ''}.`,
    );
  } else {
    out.push(`- No baseline yet: 0 passing runs in ${code(h.file)}.`);
  }
  const now = runFigures(r);
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
  out.push(
    '',
    table(
      ['Metric', 'This run', 'Previous run', `Baseline median (n = ${b?.n ?? 0})`, 'Change vs baseline'],
      rows,
    ),
  );
  return out;
}
