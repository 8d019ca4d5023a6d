import { describe, expect, it } from 'vitest';
import { compareWithHistory, countsForBaseline, valueIn } from './baseline.js';
import { historyLine } from './fixtures/records.js';

const q = { file: '/h.jsonl', scenario: 'pg-down', provider: 'local', sha256: 'aa' };

describe('compareWithHistory', () => {
  it('has no previous run and no baseline on an empty history', () => {
    const { section, lookup } = compareWithHistory([], q);
    expect(section).toEqual({
      file: '/h.jsonl',
      earlierRuns: 0,
      passingRuns: 0,
      previous: null,
      baseline: null,
    });
    expect(lookup.passingRuns).toBe(0);
    expect(lookup.median({ metric: 'rto' })).toBeNull();
  });

  it('takes the previous run of the same scenario and provider, whatever its verdict', () => {
    const records = [
      historyLine({ runId: 'ok', rto: 1000 }),
      historyLine({
        runId: 'failed',
        verdict: 'fail',
        exitCode: 1,
        rto: 9000,
        scenario: { name: 'pg-down', file: 'f', sha256: 'bb' },
      }),
      historyLine({ runId: 'other-scenario', scenario: { name: 'redis-down', file: 'r', sha256: 'aa' } }),
      historyLine({ runId: 'other-provider', provider: 'containers' }),
    ];
    const { section } = compareWithHistory(records, q);
    expect(section.earlierRuns).toBe(2);
    expect(section.passingRuns).toBe(1);
    expect(section.previous).toMatchObject({
      runId: 'failed',
      verdict: 'fail',
      exitCode: 1,
      rtoMedianMs: 9000,
      sameScenarioFile: false,
    });
    expect(section.baseline?.runIds).toEqual(['ok']);
  });

  it('makes the baseline the medians of the last N passing runs only', () => {
    const rtos = [5000, 1000, 2000, 3000, 4000, 6000];
    const records = [
      ...rtos.map((rto, i) =>
        historyLine({ runId: `p${i}`, rto, lostWrites: { lost: i, acknowledged: 100 } }),
      ),
      historyLine({ runId: 'bad', rto: 60_000, verdict: 'fail', exitCode: 1 }),
      historyLine({ runId: 'err', rto: 1, verdict: 'error', exitCode: 2 }),
    ];
    const { section, lookup } = compareWithHistory(records, { ...q, baselineRuns: 4 });
    // The last 4 passing: 2000, 3000, 4000, 6000 → median 3500; lost 2, 3, 4, 5 → 3.5.
    expect(section.baseline).toEqual({
      runs: 4,
      n: 4,
      runIds: ['p2', 'p3', 'p4', 'p5'],
      rtoMedianMs: 3500,
      mttrMedianMs: 3500,
      p95MedianMs: { writes: { steady: 5, fault: 100, recovered: 6 } },
      lostWritesMedian: 3.5,
      otherScenarioFile: 0,
    });
    expect(section.previous?.runId).toBe('err');
    expect(lookup.median({ metric: 'rto' })).toEqual({
      n: 4,
      median: 3500,
      runIds: ['p2', 'p3', 'p4', 'p5'],
    });
  });

  it('counts a negative control that failed as declared as passing (exit code 0)', () => {
    const records = [
      historyLine({ runId: 'control', verdict: 'fail', exitCode: 0, expectation: 'as-expected' }),
    ];
    expect(compareWithHistory(records, q).section.baseline?.runIds).toEqual(['control']);
  });

  it('defaults to the last 5 passing runs and counts those of another scenario file version', () => {
    const records = Array.from({ length: 7 }, (_, i) =>
      historyLine({ runId: `r${i}`, scenario: { name: 'pg-down', file: 'f', sha256: i < 4 ? 'old' : 'aa' } }),
    );
    const b = compareWithHistory(records, q).section.baseline;
    expect([b?.runs, b?.n, b?.runIds[0], b?.otherScenarioFile]).toEqual([5, 5, 'r2', 2]);
  });

  it('takes a target’s own earlier values, by metric, phase and probe', () => {
    const records = [100, 300, 200].map((v) =>
      historyLine({
        targets: [
          { metric: 'latency-p95', phase: 'recovered', probe: 'writes', measured: v, pass: true },
          { metric: 'latency-p95', phase: 'steady', probe: 'writes', measured: v / 10, pass: true },
        ],
      }),
    );
    const { lookup } = compareWithHistory(records, q);
    expect(lookup.median({ metric: 'latency-p95', phase: 'recovered', probe: 'writes' })?.median).toBe(200);
    expect(lookup.median({ metric: 'latency-p95', phase: 'steady', probe: 'writes' })?.median).toBe(20);
    expect(lookup.median({ metric: 'latency-p95', phase: 'fault', probe: 'writes' })).toBeNull();
  });
});

describe('valueIn', () => {
  const r = historyLine({
    rtoMs: [1200, null, 1800],
    mttrMs: 1500,
    lostWrites: { lost: 7, acknowledged: 900 },
    targets: [],
  });

  it.each([
    { t: { metric: 'rto' }, expected: 1800 },
    { t: { metric: 'mttr' }, expected: 1500 },
    { t: { metric: 'lost-writes' }, expected: 7 },
    { t: { metric: 'rto', probe: 'other' }, expected: null },
    { t: { metric: 'error-rate', phase: 'fault' as const }, expected: null },
  ])('gives $expected for $t.metric with no target of its own in the record', ({ t, expected }) => {
    expect(valueIn(r, t)).toBe(expected);
  });
});

describe('countsForBaseline', () => {
  const waiting = { metric: 'rto', measured: 1000, pass: false, noBaseline: true as const };
  it.each([
    { name: 'a passing run', r: historyLine(), counts: true },
    { name: 'a failed run', r: historyLine({ verdict: 'fail', exitCode: 1 }), counts: false },
    {
      name: 'a run inconclusive only because its relative-only targets had no baseline yet',
      r: historyLine({
        verdict: 'inconclusive',
        exitCode: 1,
        targets: [waiting, { metric: 'mttr', measured: 5, pass: true }],
      }),
      counts: true,
    },
    {
      name: 'a run inconclusive for another reason as well',
      r: historyLine({
        verdict: 'inconclusive',
        exitCode: 1,
        targets: [waiting, { metric: 'error-rate', measured: null, pass: false }],
      }),
      counts: false,
    },
  ])('$name: $counts', ({ r, counts }) => {
    expect(countsForBaseline(r)).toBe(counts);
  });
});
