import { describe, expect, it } from 'vitest';
import { exitCodeOf, judgeExpectation } from './expectation.js';
import type { TargetResult, Verdict } from './report-model.js';

const t = (metric: string, verdict: Verdict, phase?: TargetResult['phase']): TargetResult => ({
  metric,
  unit: 'ms',
  bound: 1,
  boundText: '1ms',
  measured: 2,
  measuredText: '2 ms',
  verdict,
  pass: verdict === 'pass',
  source: 'test',
  ...(phase ? { phase } : {}),
});

describe('judgeExpectation', () => {
  const lostWrites = { verdict: 'fail' as const, failing: ['lost-writes-after-fault'] };

  it.each<{ name: string; verdict: Verdict; targets: TargetResult[]; outcome: string; exit: 0 | 1 | 2 }>([
    {
      name: 'failed on exactly the declared target',
      verdict: 'fail',
      targets: [t('rto', 'pass'), t('lost-writes-after-fault', 'fail')],
      outcome: 'as-expected',
      exit: 0,
    },
    {
      name: 'failed on the declared target and another',
      verdict: 'fail',
      targets: [t('rto', 'fail'), t('lost-writes-after-fault', 'fail')],
      outcome: 'failed-for-another-reason',
      exit: 1,
    },
    {
      name: 'failed on another target only',
      verdict: 'fail',
      targets: [t('rto', 'fail'), t('lost-writes-after-fault', 'pass')],
      outcome: 'failed-for-another-reason',
      exit: 1,
    },
    {
      name: 'failed as declared but another target was not measured',
      verdict: 'fail',
      targets: [t('error-rate', 'inconclusive'), t('lost-writes-after-fault', 'fail')],
      outcome: 'failed-for-another-reason',
      exit: 1,
    },
    {
      name: 'passed',
      verdict: 'pass',
      targets: [t('lost-writes-after-fault', 'pass')],
      outcome: 'expected-to-fail-but-passed',
      exit: 1,
    },
    {
      name: 'could not measure',
      verdict: 'error',
      targets: [],
      outcome: 'error',
      exit: 2,
    },
  ])('a control declared to fail on lost-writes-after-fault that $name: $outcome, exit $exit', (c) => {
    const x = judgeExpectation(lostWrites, c.verdict, c.targets);
    expect(x?.outcome).toBe(c.outcome);
    expect(x?.met).toBe(c.outcome === 'as-expected');
    expect(exitCodeOf(c.verdict, x)).toBe(c.exit);
  });

  it('matches a declared { metric, phase } only on that phase', () => {
    const declared = {
      verdict: 'fail' as const,
      failing: [{ metric: 'latency-p95', phase: 'fault' as const }],
    };
    const ok = [t('latency-p95', 'pass', 'steady'), t('latency-p95', 'fail', 'fault')];
    expect(judgeExpectation(declared, 'fail', ok)?.met).toBe(true);
    const steadyToo = [t('latency-p95', 'fail', 'steady'), t('latency-p95', 'fail', 'fault')];
    expect(judgeExpectation(declared, 'fail', steadyToo)?.message).toMatch(/latency-p95 \[steady\] fail/);
  });

  it('holds a declared INCONCLUSIVE to that verdict', () => {
    expect(judgeExpectation({ verdict: 'inconclusive' }, 'inconclusive', [])?.met).toBe(true);
    expect(judgeExpectation({ verdict: 'inconclusive' }, 'pass', [])?.outcome).toBe('unexpected-verdict');
  });

  it('leaves the plain rule without a declaration: only PASS exits 0', () => {
    expect(judgeExpectation(undefined, 'fail', [])).toBeUndefined();
    expect([
      exitCodeOf('pass', undefined),
      exitCodeOf('fail', undefined),
      exitCodeOf('inconclusive', undefined),
    ]).toEqual([0, 1, 1]);
  });
});
