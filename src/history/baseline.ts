// What the history says about the run about to start: the previous run of the same scenario on the
// same provider, and the baseline, the medians over its last N passing runs. Pure: records in,
// report section and lookup out.

import { median } from '../core/metrics/median.js';
import type { HistoryContext } from '../core/relative-bound.js';
import { type Baseline, PHASES, type PhaseName, type RunFigures } from '../core/report-model.js';
import type { ResolvedTarget } from '../scenario/load.js';
import type { HistoryRecord } from './record.js';

export const DEFAULT_BASELINE_RUNS = 5;

export interface HistoryQuery {
  /** The history file the records came from, for the reports. */
  file: string;
  scenario: string;
  provider: string;
  /** This run's scenario file hash: earlier runs of another version are counted, not left out. */
  sha256: string | null;
  /** How many passing runs the baseline is the median of (default 5). */
  baselineRuns?: number;
}

/**
 * A run the baseline may take: exit code 0 (PASS, or a negative control that failed as declared),
 * or INCONCLUSIVE only because targets with nothing but a relative bound had no baseline yet: such a
 * target could never get one otherwise, since its own first run would never count.
 */
export function countsForBaseline(r: HistoryRecord): boolean {
  if (r.exitCode === 0) return true;
  return (
    r.verdict === 'inconclusive' &&
    r.expectation === null &&
    r.targets.some((t) => t.noBaseline) &&
    r.targets.every((t) => t.pass || t.noBaseline)
  );
}

const figuresOf = (r: HistoryRecord): RunFigures => ({
  rtoMs: r.rtoMs,
  rtoMedianMs: r.rtoMedianMs,
  mttrMs: r.mttrMs,
  p95Ms: r.p95Ms,
  lostWrites: r.lostWrites,
});

const medianOf = (xs: readonly (number | null | undefined)[]) =>
  median(xs.filter((x): x is number => typeof x === 'number'));

/**
 * What a record measured for a target: its own target of the same metric, phase and probe, else
 * (for a target the earlier run did not have) the figure it stands for: the worst RTO, the MTTR,
 * the lost writes. null when the record has neither.
 */
export function valueIn(
  r: HistoryRecord,
  t: Pick<ResolvedTarget, 'metric' | 'phase' | 'probe'>,
): number | null {
  const same = r.targets.find((x) => x.metric === t.metric && x.phase === t.phase && x.probe === t.probe);
  if (same) return same.measured;
  if (t.probe !== undefined || t.phase !== undefined) return null;
  if (t.metric === 'rto') {
    const v = r.rtoMs.filter((x): x is number => x !== null);
    return v.length ? Math.max(...v) : null;
  }
  if (t.metric === 'mttr') return r.mttrMs;
  if (t.metric === 'lost-writes') return r.lostWrites?.lost ?? null;
  return null;
}

function baselineOf(runs: readonly HistoryRecord[], asked: number, sha256: string | null): Baseline {
  const probes = [...new Set(runs.flatMap((r) => Object.keys(r.p95Ms)))];
  const p95MedianMs: Baseline['p95MedianMs'] = {};
  for (const p of probes) {
    p95MedianMs[p] = Object.fromEntries(
      PHASES.map((ph) => [ph, medianOf(runs.map((r) => r.p95Ms[p]?.[ph]))]),
    ) as Record<PhaseName, number | null>;
  }
  return {
    runs: asked,
    n: runs.length,
    runIds: runs.map((r) => r.runId),
    rtoMedianMs: medianOf(runs.map((r) => r.rtoMedianMs)),
    mttrMedianMs: medianOf(runs.map((r) => r.mttrMs)),
    p95MedianMs,
    lostWritesMedian: medianOf(runs.map((r) => r.lostWrites?.lost)),
    otherScenarioFile: runs.filter((r) => r.scenario.sha256 !== sha256).length,
  };
}

/** The report's `history` section and the baseline lookup for relative bounds. */
export function compareWithHistory(records: readonly HistoryRecord[], q: HistoryQuery): HistoryContext {
  const asked = q.baselineRuns ?? DEFAULT_BASELINE_RUNS;
  const mine = records.filter((r) => r.scenario.name === q.scenario && r.provider === q.provider);
  const passing = mine.filter(countsForBaseline);
  const base = passing.slice(-asked);
  const prev = mine.at(-1);
  return {
    section: {
      file: q.file,
      earlierRuns: mine.length,
      passingRuns: passing.length,
      previous: prev
        ? {
            runId: prev.runId,
            startedAt: prev.startedAt,
            finishedAt: prev.finishedAt,
            verdict: prev.verdict,
            exitCode: prev.exitCode,
            sameScenarioFile: prev.scenario.sha256 === q.sha256,
            ...figuresOf(prev),
          }
        : null,
      baseline: base.length ? baselineOf(base, asked, q.sha256) : null,
    },
    lookup: {
      file: q.file,
      passingRuns: passing.length,
      median(t) {
        const withValue = base.flatMap((r) => {
          const v = valueIn(r, t);
          return v === null ? [] : [{ id: r.runId, v }];
        });
        const m = median(withValue.map((x) => x.v));
        return m === null ? null : { n: withValue.length, median: m, runIds: withValue.map((x) => x.id) };
      },
    },
  };
}
