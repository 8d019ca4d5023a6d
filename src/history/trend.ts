// Points for a trend chart of RTO over runs (the suite's HTML page draws them).

import type { Verdict } from '../core/report-model.js';
import type { HistoryRecord } from './record.js';

export interface TrendPoint {
  scenario: string;
  startedAt: string;
  /** The run's median RTO over its iterations; null when none had one (no impact, never recovered). */
  rtoMs: number | null;
  verdict: Verdict;
}

/** Every run of the named scenarios (all of them when none are named), oldest first. */
export function trendPoints(
  records: readonly HistoryRecord[],
  scenarios?: readonly string[],
  opts: { provider?: string } = {},
): TrendPoint[] {
  const wanted = scenarios && scenarios.length > 0 ? new Set(scenarios) : undefined;
  return records
    .filter(
      (r) => (!wanted || wanted.has(r.scenario.name)) && (!opts.provider || r.provider === opts.provider),
    )
    .map((r) => ({
      scenario: r.scenario.name,
      startedAt: r.startedAt,
      rtoMs: r.rtoMedianMs,
      verdict: r.verdict,
    }))
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}
