import { describe, expect, it } from 'vitest';
import { errorReport, passReport } from '../report/fixtures/run-reports.js';
import { historyRecord, historyRecordOf } from './record.js';

describe('historyRecordOf', () => {
  it('keeps what later runs compare with, compactly, and reads back through its own schema', () => {
    const r = historyRecordOf(passReport());
    expect(r).toEqual({
      schemaVersion: 1,
      runId: 'r-1234abcd',
      scenario: {
        name: 'postgres-primary-down',
        file: 'scenarios/postgres-primary-down.yaml',
        sha256: 'ab'.repeat(32),
      },
      provider: 'local',
      commit: '0123456789abcdef0123456789abcdef01234567',
      startedAt: '2025-03-01T02:00:00.000Z',
      finishedAt: '2025-03-01T02:01:43.210Z',
      verdict: 'pass',
      exitCode: 0,
      expectation: null,
      rtoMs: [1843, 2210, 1650],
      rtoMedianMs: 1843,
      mttrMs: 1901,
      p95Ms: { writes: expect.objectContaining({ steady: expect.any(Number) }) },
      lostWrites: { lost: 0, acknowledged: expect.any(Number) },
      targets: [
        { metric: 'rto', probe: 'writes', measured: 2210, pass: true },
        { metric: 'lost-writes', probe: 'writes', measured: 0, pass: true },
        { metric: 'latency-p95', phase: 'recovered', probe: 'writes', measured: 5.7, pass: true },
      ],
    });
    expect(historyRecord.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
    expect(JSON.stringify(r)).not.toContain('\n');
  });

  it('records a run that could not measure too, with its exit code', () => {
    const r = historyRecordOf(errorReport());
    expect([r.verdict, r.exitCode, r.targets]).toEqual(['error', 2, []]);
  });

  it('marks a target that is inconclusive only for want of a baseline', () => {
    const report = passReport();
    const rto = report.targets[0]!;
    report.targets[0] = {
      ...rto,
      bound: null,
      boundText: '',
      verdict: 'inconclusive',
      pass: false,
      regression: {
        maxRegression: '+50%',
        ratio: 0.5,
        baseline: null,
        limit: null,
        verdict: 'inconclusive',
        note: 'no baseline yet: 0 passing runs in h.jsonl',
      },
    };
    expect(historyRecordOf(report).targets[0]).toEqual({
      metric: 'rto',
      probe: 'writes',
      measured: 2210,
      pass: false,
      noBaseline: true,
    });
  });
});
