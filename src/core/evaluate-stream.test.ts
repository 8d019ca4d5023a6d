import { describe, expect, it } from 'vitest';
import type { ResolvedTarget } from '../scenario/load.js';
import { evaluateTargets } from './evaluate.js';
import type { IterationResult, StreamCheck } from './report-model.js';

const stream = (s: Partial<StreamCheck>): StreamCheck => ({
  inStream: 100,
  duplicated: 0,
  duplicatedSample: [],
  outOfOrder: 0,
  outOfOrderSample: [],
  episodes: [],
  drainMs: null,
  ...s,
});

function iteration(st: StreamCheck | undefined, acknowledged = 100): IterationResult {
  const phase = {
    count: 50,
    ok: 50,
    failed: 0,
    unknown: 0,
    errorRate: 0,
    p50Ms: 1,
    p95Ms: 1,
    p99Ms: 1,
    maxMs: 1,
    durationMs: 1000,
  };
  return {
    index: 0,
    tInjectMs: 1000,
    rtoMs: null,
    recoveredAtMs: null,
    impact: false,
    mttdMs: null,
    faults: [],
    recovery: { mode: 'automatic', steps: [] },
    probes: [
      {
        probe: 'events',
        kind: 'eventbus',
        intervalMs: 20,
        timeoutMs: 1000,
        phases: { steady: phase, fault: phase, recovered: phase },
        rto: {
          rtoMs: null,
          recoveredAtMs: null,
          impact: false,
          firstFailureMs: null,
          lastFailureMs: null,
          failedOps: 0,
        },
        rpo: {
          acknowledged,
          lost: 0,
          lostSample: [],
          lostAfterInject: 0,
          unknownPresent: 0,
          unknownAbsent: 0,
          rpoMs: 0,
        },
        ...(st ? { stream: st } : {}),
      },
    ],
  };
}

const target = (metric: string, max: number): ResolvedTarget => ({
  metric,
  unit: metric === 'drain-time' ? 'ms' : 'count',
  bound: max,
  boundText: String(max),
  source: 'test',
});

const judge = (t: ResolvedTarget, its: IterationResult[]) =>
  evaluateTargets([t], its, null, { primaryProbe: 'events', expectImpact: false })[0];

const episode = (reachableMs: number, emptyMs: number | null) => ({
  startMs: 1000,
  reachableMs,
  emptyMs,
  maxBuffered: 10,
});

describe('stream metrics', () => {
  it('sums duplicates and out-of-order events over the iterations', () => {
    const its = [iteration(stream({ duplicated: 2 })), iteration(stream({ duplicated: 1, outOfOrder: 3 }))];
    expect(judge(target('duplicate-events', 0), its)).toMatchObject({ verdict: 'fail', measured: 3 });
    expect(judge(target('out-of-order-events', 5), its)).toMatchObject({ verdict: 'pass', measured: 3 });
  });

  it('judges the worst drain, and never passes a drain-time when an iteration buffered nothing', () => {
    const drained = iteration(stream({ episodes: [episode(2000, 2400)], drainMs: 400 }));
    const slow = iteration(stream({ episodes: [episode(2000, 3500)], drainMs: 1500 }));
    expect(judge(target('drain-time', 1000), [drained, slow])).toMatchObject({
      verdict: 'fail',
      measured: 1500,
    });
    expect(judge(target('drain-time', 1000), [drained, iteration(stream({}))])).toMatchObject({
      verdict: 'inconclusive',
      note: 'not measured: the bus buffered nothing in iteration 2',
    });
    const stuck = iteration(stream({ episodes: [episode(2000, null)] }));
    expect(judge(target('drain-time', 1000), [stuck])).toMatchObject({ verdict: 'fail', measured: null });
  });

  it('is an ERROR on a probe that reads no stream back, and not measured on too few events', () => {
    expect(judge(target('duplicate-events', 0), [iteration(undefined)])).toMatchObject({ verdict: 'error' });
    expect(judge(target('duplicate-events', 0), [iteration(stream({}), 3)])).toMatchObject({
      verdict: 'inconclusive',
    });
  });
});
