// A target's relative bound (`maxRegression: "+50%"`): the measured value against the median of what
// the same target measured in the last passing runs of the scenario. Pure: the history is read by
// src/history and handed in as a BaselineLookup.

import type { ResolvedTarget } from '../scenario/load.js';
import type { RegressionResult, RunHistory } from './report-model.js';
import { valueText } from './value-text.js';

export interface BaselineLookup {
  /** The history file, named in the reports ("no baseline yet: 0 passing runs in <file>"). */
  file: string;
  /** Passing runs (exit code 0) of the scenario on this provider in the file. */
  passingRuns: number;
  /** The median of what this target measured in the baseline runs; null when none of them has it. */
  median(
    target: Pick<ResolvedTarget, 'metric' | 'phase' | 'probe'>,
  ): { n: number; median: number; runIds: string[] } | null;
}

/** The relative bound of `t` judged on `measured`; without a lookup (no history) it is not checked. */
export function judgeRegression(
  t: ResolvedTarget & { maxRegression: { text: string; ratio: number } },
  measured: number | null,
  lookup: BaselineLookup | undefined,
): RegressionResult {
  const { text, ratio } = t.maxRegression;
  const base = { maxRegression: text, ratio };
  if (!lookup)
    return {
      ...base,
      baseline: null,
      limit: null,
      verdict: 'inconclusive',
      note: 'no history was read (--no-history): the relative bound was not checked',
    };
  const b = lookup.median(t);
  if (!b) {
    const why =
      lookup.passingRuns === 0
        ? `${lookup.passingRuns} passing runs in ${lookup.file}`
        : `none of the ${lookup.passingRuns} passing runs in ${lookup.file} has a value of ${t.metric}`;
    return { ...base, baseline: null, limit: null, verdict: 'inconclusive', note: `no baseline yet: ${why}` };
  }
  const limit = b.median * (1 + ratio);
  const of = `median of ${b.n} run${b.n === 1 ? '' : 's'}: ${valueText(t.unit, b.median)}`;
  if (measured === null)
    return {
      ...base,
      baseline: b,
      limit,
      verdict: 'inconclusive',
      note: `nothing measured to compare with the baseline (${of})`,
    };
  const pass = measured <= limit;
  return {
    ...base,
    baseline: b,
    limit,
    verdict: pass ? 'pass' : 'fail',
    note: pass
      ? `within ${text} of the baseline (${of}; limit ${valueText(t.unit, limit)})`
      : `regression against baseline (${of}): measured ${valueText(t.unit, measured)} > ${valueText(t.unit, limit)} (${text})`,
  };
}

/** What the history gives a run: its report section, and the baseline its relative bounds use. */
export interface HistoryContext {
  section: RunHistory;
  lookup: BaselineLookup;
}
