// Did the run behave as its scenario declared? A negative control is green only when it fails for
// the reason it exists to show; failing for another reason, or passing, turns a suite red.

import { type FailingEntry, matchesTarget } from '../scenario/load.js';
import type { ScenarioSpec } from '../scenario/schema.js';
import type { ExpectationResult, TargetResult, Verdict } from './report-model.js';

type Declared = NonNullable<ScenarioSpec['expect']>;

const label = (t: TargetResult) =>
  `${t.metric}${t.probe ? ` (${t.probe})` : ''}${t.phase ? ` [${t.phase}]` : ''}`;

export function judgeExpectation(
  declared: Declared | undefined,
  verdict: Verdict,
  targets: readonly TargetResult[],
): ExpectationResult | undefined {
  if (!declared) return undefined;
  const failing = declared.failing?.map(entryText);
  const base = { verdict: declared.verdict, ...(failing ? { failing } : {}) };
  if (verdict === 'error')
    return {
      ...base,
      met: false,
      outcome: 'error',
      message: 'the harness could not measure, so the expectation was not tested',
    };
  if (declared.verdict === 'fail' && verdict === 'pass')
    return {
      ...base,
      met: false,
      outcome: 'expected-to-fail-but-passed',
      message: 'expected to fail, but every target passed',
    };
  if (declared.verdict !== verdict)
    return {
      ...base,
      met: false,
      outcome: 'unexpected-verdict',
      message: `expected ${declared.verdict.toUpperCase()}, got ${verdict.toUpperCase()}`,
    };
  if (declared.verdict === 'fail' && declared.failing && failing) {
    const want = declared.failing;
    // Every target that did not pass must be one the control exists to fail, and each of those must fail.
    const other = targets.filter(
      (t) => t.verdict !== 'pass' && !(t.verdict === 'fail' && want.some((e) => matchesTarget(e, t))),
    );
    const held = want
      .filter((e) => !targets.some((t) => matchesTarget(e, t) && t.verdict === 'fail'))
      .map(entryText);
    if (other.length > 0 || held.length > 0) {
      const parts = [
        ...(other.length
          ? [`${other.map((t) => `${label(t)} ${t.verdict}`).join(', ')} (not declared)`]
          : []),
        ...(held.length ? [`${held.join(', ')} did not fail`] : []),
      ];
      return {
        ...base,
        met: false,
        outcome: 'failed-for-another-reason',
        message: `failed for another reason: ${parts.join('; ')}; expected to fail on ${failing.join(', ')} only`,
      };
    }
    return {
      ...base,
      met: true,
      outcome: 'as-expected',
      message: `failed as expected, on ${failing.join(', ')}`,
    };
  }
  return { ...base, met: true, outcome: 'as-expected', message: `${verdict.toUpperCase()} as expected` };
}

function entryText(e: FailingEntry): string {
  if (typeof e === 'string') return e;
  return `${e.metric}${e.phase ? ` [${e.phase}]` : ''}${e.probe ? ` (${e.probe})` : ''}`;
}

/** 0 when the run behaved as declared (PASS without a declaration), 2 when it could not measure, else 1. */
export function exitCodeOf(verdict: Verdict, expectation: ExpectationResult | undefined): 0 | 1 | 2 {
  if (verdict === 'error') return 2;
  if (expectation) return expectation.met ? 0 : 1;
  return verdict === 'pass' ? 0 : 1;
}
