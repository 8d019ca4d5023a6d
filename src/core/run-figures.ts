// The few figures a run is compared on across runs (history lines, baselines, the report's
// "Compared with earlier runs"), read from its report the same way everywhere.

import { median } from './metrics/median.js';
import { PHASES, type PhaseName, type RunFigures, type RunReport } from './report-model.js';

const worst = (xs: readonly (number | null)[]): number | null => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) : null;
};

export function runFigures(report: Pick<RunReport, 'iterations' | 'mttr'>): RunFigures {
  const rtoMs = report.iterations.map((it) => it.rtoMs);
  const p95Ms: RunFigures['p95Ms'] = {};
  const names = [...new Set(report.iterations.flatMap((it) => it.probes.map((p) => p.probe)))];
  for (const name of names) {
    const per = report.iterations.flatMap((it) => it.probes.filter((p) => p.probe === name));
    p95Ms[name] = Object.fromEntries(
      PHASES.map((ph) => [ph, worst(per.map((p) => p.phases[ph].p95Ms))]),
    ) as Record<PhaseName, number | null>;
  }
  const rpos = report.iterations.flatMap((it) => it.probes.flatMap((p) => (p.rpo ? [p.rpo] : [])));
  return {
    rtoMs,
    rtoMedianMs: median(rtoMs.filter((x): x is number => x !== null)),
    mttrMs: report.mttr?.meanMs ?? null,
    p95Ms,
    lostWrites: rpos.length
      ? {
          lost: rpos.reduce((n, r) => n + r.lost, 0),
          acknowledged: rpos.reduce((n, r) => n + r.acknowledged, 0),
        }
      : null,
  };
}
