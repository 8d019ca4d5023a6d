import { describe, expect, it } from 'vitest';
import type { LatencySummary, PhaseName } from '../report-model.js';
import type { OpRecord } from '../types.js';
import { phaseBounds, summarizePhases, summarizeSeries } from './phases.js';

const BOUNDS = { startMs: 0, tInjectMs: 1000, recoveredAtMs: 3000, endMs: 5000 };
const NEVER_RECOVERED = { ...BOUNDS, recoveredAtMs: null };

let nextId = 0;
const op = (startMs: number, outcome: OpRecord['outcome'], latencyMs: number): OpRecord => ({
  id: nextId++,
  startMs,
  endMs: startMs + latencyMs,
  outcome,
});

/** `n` ops of one outcome spread over [fromMs, fromMs + 100 * n). */
const ops = (n: number, fromMs: number, outcome: OpRecord['outcome'], latencyMs = 2): OpRecord[] =>
  Array.from({ length: n }, (_, i) => op(fromMs + i * 100, outcome, latencyMs));

/** HDR histograms keep 3 significant digits: a percentile may be off by 0.1% of the value. */
function expectWithinHdrPrecision(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(expected * 1e-3);
}

/** A few-ms latency as the histogram reports it (the top of its bucket, e.g. 3.001 for 3). */
const hdrMs = (ms: number): number => expect.closeTo(ms, 2);
const latencies = (p50: number, p95: number, p99: number, maxMs: number) => ({
  p50Ms: hdrMs(p50),
  p95Ms: hdrMs(p95),
  p99Ms: hdrMs(p99),
  maxMs,
});

const EMPTY = {
  count: 0,
  ok: 0,
  failed: 0,
  unknown: 0,
  errorRate: 0,
  p50Ms: null,
  p95Ms: null,
  p99Ms: null,
  maxMs: null,
};

describe('phaseBounds', () => {
  it.each([
    {
      name: 'splits the run at t_inject and t_recovered',
      bounds: BOUNDS,
      expected: {
        steady: { startMs: 0, endMs: 1000 },
        fault: { startMs: 1000, endMs: 3000 },
        recovered: { startMs: 3000, endMs: 5000 },
      },
    },
    {
      name: 'extends the fault phase to the end and leaves recovered empty when never recovered',
      bounds: NEVER_RECOVERED,
      expected: {
        steady: { startMs: 0, endMs: 1000 },
        fault: { startMs: 1000, endMs: 5000 },
        recovered: { startMs: 5000, endMs: 5000 },
      },
    },
  ])('$name', ({ bounds, expected }) => {
    expect(phaseBounds(bounds)).toEqual(expected);
  });
});

describe('summarizePhases', () => {
  it('gives p50/p95/p99/max of 1..100 ms as 50/95/99/100 within HDR precision', () => {
    const history = Array.from({ length: 100 }, (_, i) => op(i * 5, 'ok', i + 1));
    const { steady } = summarizePhases(history, BOUNDS);
    expectWithinHdrPrecision(steady.p50Ms, 50);
    expectWithinHdrPrecision(steady.p95Ms, 95);
    expectWithinHdrPrecision(steady.p99Ms, 99);
    expect(steady.maxMs).toBe(100);
  });

  it('keeps sub-millisecond latencies', () => {
    const history = [op(0, 'ok', 0.2), op(100, 'ok', 0.25), op(200, 'ok', 0.3)];
    const { steady } = summarizePhases(history, BOUNDS);
    expectWithinHdrPrecision(steady.p50Ms, 0.25);
    expect(steady.maxMs).toBe(0.3);
  });

  it('never reports a percentile above the largest latency recorded', () => {
    const { steady } = summarizePhases([op(0, 'ok', 100)], BOUNDS);
    expect(steady).toMatchObject({ p50Ms: 100, p95Ms: 100, p99Ms: 100, maxMs: 100 });
  });

  const history = [
    ...ops(5, -500, 'fail'), // before the observation started
    ...ops(10, 0, 'ok'),
    ...ops(2, 1000, 'ok', 4),
    ...ops(5, 1200, 'fail', 9000),
    ...ops(3, 1700, 'unknown', 5000),
    ...ops(20, 3000, 'ok', 3),
    ...ops(3, 5000, 'fail'), // after it ended
  ];

  it.each<{ phase: PhaseName; bounds: typeof BOUNDS | typeof NEVER_RECOVERED; expected: LatencySummary }>([
    {
      phase: 'steady',
      bounds: BOUNDS,
      expected: { ...EMPTY, count: 10, ok: 10, ...latencies(2, 2, 2, 2), durationMs: 1000 },
    },
    {
      phase: 'fault',
      bounds: BOUNDS,
      expected: {
        ...{ count: 10, ok: 2, failed: 5, unknown: 3, errorRate: 0.8 },
        ...latencies(4, 4, 4, 4),
        durationMs: 2000,
      },
    },
    {
      phase: 'recovered',
      bounds: BOUNDS,
      expected: { ...EMPTY, count: 20, ok: 20, ...latencies(3, 3, 3, 3), durationMs: 2000 },
    },
    {
      phase: 'fault',
      bounds: NEVER_RECOVERED,
      expected: {
        ...{ count: 30, ok: 22, failed: 5, unknown: 3, errorRate: 8 / 30 },
        // 20 ops of 3 ms and 2 of 4 ms: the 21st of 22 is the p95.
        ...latencies(3, 4, 4, 4),
        durationMs: 4000,
      },
    },
    { phase: 'recovered', bounds: NEVER_RECOVERED, expected: { ...EMPTY, durationMs: 0 } },
  ])(
    'counts ops by the phase they started in: $phase, recovered at $bounds.recoveredAtMs',
    ({ phase, bounds, expected }) => {
      expect(summarizePhases(history, bounds)[phase]).toEqual(expected);
    },
  );

  it('reports zero counts, no percentiles and error rate 0 for phases with no ops', () => {
    expect(summarizePhases([], BOUNDS)).toEqual({
      steady: { ...EMPTY, durationMs: 1000 },
      fault: { ...EMPTY, durationMs: 2000 },
      recovered: { ...EMPTY, durationMs: 2000 },
    });
  });

  it('puts an op still in flight at t_inject into the fault phase, not the steady state', () => {
    // Started 5 ms before the injection returned and failed 300 ms later: the fault hit it.
    const history = [...ops(9, 0, 'ok'), op(995, 'fail', 300), op(1100, 'ok', 2)];
    const phases = summarizePhases(history, BOUNDS);
    expect(phases.steady).toMatchObject({ count: 9, failed: 0, errorRate: 0 });
    expect(phases.fault).toMatchObject({ count: 2, failed: 1, errorRate: 0.5 });
  });

  it('reports no percentiles for a phase where every op failed', () => {
    const { fault } = summarizePhases(ops(3, 1000, 'fail'), BOUNDS);
    expect(fault).toMatchObject({ count: 3, failed: 3, errorRate: 1, p50Ms: null, maxMs: null });
  });
});

describe('summarizeSeries', () => {
  const samples = [
    ...Array.from({ length: 20 }, (_, i) => ({ tMs: i * 50, value: i + 1 })),
    { tMs: 1000, value: 5 },
    { tMs: 2000, value: 100 },
    { tMs: 2999, value: 7 },
    { tMs: 6000, value: 1e9 }, // after the end
  ];

  it.each([
    { phase: 'steady', expected: { count: 20, p50: 10, p95: 19, max: 20 } },
    { phase: 'fault', expected: { count: 3, p50: 7, p95: 100, max: 100 } },
    { phase: 'recovered', expected: { count: 0, p50: null, p95: null, max: null } },
  ] as const)('gives exact nearest-rank p50/p95/max per phase: $phase', ({ phase, expected }) => {
    expect(summarizeSeries(samples, BOUNDS)[phase]).toEqual(expected);
  });
});
