// restore-rows-lost and restore-checksum-mismatches: judged on the recovery action's verification.
import { describe, expect, it } from 'vitest';
import type { ResolvedTarget } from '../scenario/load.js';
import { evaluateTargets } from './evaluate.js';
import type { IterationResult } from './report-model.js';
import type { RestoreVerification } from './types.js';

function iteration(verification?: RestoreVerification): IterationResult {
  const phase = {
    count: 10,
    ok: 10,
    failed: 0,
    unknown: 0,
    errorRate: 0,
    p50Ms: 1,
    p95Ms: 1,
    p99Ms: 1,
    maxMs: 1,
  };
  return {
    index: 0,
    tInjectMs: 1000,
    rtoMs: 500,
    recoveredAtMs: 1500,
    impact: true,
    mttdMs: null,
    faults: [],
    recovery: {
      mode: 'action',
      action: 'postgres-restore',
      steps: [],
      ...(verification ? { verification } : {}),
    },
    probes: [
      {
        probe: 'reads',
        kind: 'synthetic',
        intervalMs: 100,
        timeoutMs: 500,
        phases: { steady: phase, fault: phase, recovered: phase },
        rto: { rtoMs: 500, recoveredAtMs: 1500, impact: true, failedOps: 3 },
      } as unknown as IterationResult['probes'][number],
    ],
  };
}

const v = (over: Partial<RestoreVerification> = {}): RestoreVerification => ({
  tablesCompared: 1,
  rowsCompared: 1000,
  rowsMatched: 1000,
  rowsLost: 0,
  checksumMismatches: 0,
  ...over,
});

const target = (metric: string): ResolvedTarget => ({
  metric,
  unit: 'count',
  bound: 0,
  boundText: '0',
  source: 'test',
});

function judge(its: IterationResult[]) {
  return evaluateTargets([target('restore-rows-lost'), target('restore-checksum-mismatches')], its, null, {
    primaryProbe: 'reads',
    expectImpact: true,
  });
}

describe('restore verification targets', () => {
  it('pass when every iteration restored every row with matching checksums', () => {
    const [rows, sums] = judge([iteration(v()), iteration(v())]);
    expect(rows).toMatchObject({ verdict: 'pass', measured: 0, note: 'of 2000 rows compared' });
    expect(sums).toMatchObject({
      verdict: 'pass',
      measured: 0,
      note: 'of 2 table(s) compared, 2000 of 2000 rows matched',
    });
  });

  it('fail with the rows lost and tables mismatched summed over the iterations', () => {
    const [rows, sums] = judge([
      iteration(v({ rowsLost: 7, rowsMatched: 0, checksumMismatches: 1 })),
      iteration(v({ rowsLost: 1000, rowsMatched: 0, checksumMismatches: 1 })),
    ]);
    expect(rows).toMatchObject({ verdict: 'fail', measured: 1007 });
    expect(sums).toMatchObject({
      verdict: 'fail',
      measured: 2,
      note: 'of 2 table(s) compared, 0 of 2000 rows matched',
    });
  });

  it('a checksum mismatch with every row present still fails the checksum target only', () => {
    const [rows, sums] = judge([iteration(v({ rowsMatched: 0, checksumMismatches: 1 }))]);
    expect(rows?.verdict).toBe('pass');
    expect(sums?.verdict).toBe('fail');
  });

  it('is an ERROR, never a PASS, when the recovery verified nothing', () => {
    const [rows, sums] = judge([iteration(v()), iteration()]);
    expect(rows).toMatchObject({
      verdict: 'error',
      measured: null,
      note: 'the recovery action verified nothing it restored',
    });
    expect(sums?.verdict).toBe('error');
  });

  it('is INCONCLUSIVE when a restore compared (almost) no rows', () => {
    const [rows] = judge([iteration(v({ rowsCompared: 0, rowsMatched: 0 }))]);
    expect(rows).toMatchObject({ verdict: 'inconclusive', measured: null });
  });
});
