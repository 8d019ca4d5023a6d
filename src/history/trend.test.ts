import { describe, expect, it } from 'vitest';
import { historyLine } from './fixtures/records.js';
import { trendPoints } from './trend.js';

describe('trendPoints', () => {
  const records = [
    historyLine({ runId: 'b', startedAt: '2026-01-02T00:00:00.000Z', rto: 2000 }),
    historyLine({
      runId: 'a',
      startedAt: '2026-01-01T00:00:00.000Z',
      rto: 1000,
      verdict: 'fail',
      exitCode: 1,
    }),
    historyLine({
      startedAt: '2026-01-03T00:00:00.000Z',
      scenario: { name: 'redis-down', file: 'r', sha256: null },
      rtoMedianMs: null,
    }),
    historyLine({ startedAt: '2026-01-04T00:00:00.000Z', provider: 'containers', rto: 3000 }),
  ];

  it('gives the named scenarios’ runs oldest first with their median RTO and verdict', () => {
    expect(trendPoints(records, ['pg-down'], { provider: 'local' })).toEqual([
      { scenario: 'pg-down', startedAt: '2026-01-01T00:00:00.000Z', rtoMs: 1000, verdict: 'fail' },
      { scenario: 'pg-down', startedAt: '2026-01-02T00:00:00.000Z', rtoMs: 2000, verdict: 'pass' },
    ]);
  });

  it('gives every scenario when none is named, a run without RTO as null', () => {
    const points = trendPoints(records);
    expect(points.map((p) => [p.scenario, p.rtoMs])).toEqual([
      ['pg-down', 1000],
      ['pg-down', 2000],
      ['redis-down', null],
      ['pg-down', 3000],
    ]);
  });
});
