import { describe, expect, it } from 'vitest';
import type { RunReport } from '../core/report-model.js';
import type { SuiteSummary } from '../suite/summary.js';
import { renderDrill, suggestedActions, TO_FILL } from './drill.js';
import { errorReport, passReport, splitBrainReport } from './fixtures/run-reports.js';

const summary: SuiteSummary = {
  schemaVersion: 1,
  tool: { name: 'chaos-harness', version: '0.1.0' },
  startedAt: '2025-03-01T02:00:00.000Z',
  finishedAt: '2025-03-01T02:10:00.000Z',
  wallMs: 600_000,
  selection: { refs: [], tags: ['nightly'], shards: [], selected: 3 },
  exitCode: 2,
  scenarios: [],
  notRun: [{ name: 'redis-primary-down', file: 'scenarios/redis-primary-down.yaml', reason: 'bail' }],
};

const section = (md: string, title: string) => {
  const start = md.indexOf(`## ${title}`);
  return md.slice(start, md.indexOf('\n## ', start + 1));
};

describe('renderDrill', () => {
  const md = renderDrill({ reports: [passReport(), splitBrainReport(), errorReport()], summary });

  it('says at the top that it is incomplete until the fields only a person can fill are filled', () => {
    expect(md.split('\n')[0]).toBe('# DR drill record: suite of 3 scenario(s)');
    expect(md).toMatch(/^> \*\*Incomplete until every field marked _to be filled_ is filled in\*\*/m);
    expect(section(md, '1. Overview')).toContain(`| Participants (names and roles) | ${TO_FILL} |`);
    expect(section(md, '6. What was learned')).toContain(`- What did not, and why: ${TO_FILL}`);
    expect(section(md, '8. Sign-off')).toContain(`| Drill lead | ${TO_FILL} | ${TO_FILL} | ${TO_FILL} |`);
  });

  it('gives title, date, start and end, scope, environment, versions and operator', () => {
    const o = section(md, '1. Overview');
    for (const row of [
      '| Title | DR drill: suite of 3 scenario(s) |',
      '| Date | 2025-03-01 |',
      '| Start | 2025-03-01T02:00:00.000Z |',
      '| End | 2025-03-01T02:10:00.000Z |',
      '| Duration | 10 min |',
      '| Scope | 3 scenario(s) of a suite (every scenario, tags nightly); not run: redis-primary-down (bail) |',
      '| Operator | drill-lead |',
    ])
      expect(o).toContain(row);
    expect(o).toMatch(/\| Environment \/ provider \| postgres-ha \(local\), redis-sentinel \(local\)/);
    expect(o).toMatch(/\| Versions \| node v20\.19\.0, postgres postgres \(PostgreSQL\) 15\.14/);
    expect(o).toContain('commit 0123456789abcdef0123456789abcdef01234567');
  });

  it('lists the scenarios with their files and sha256, and each objective with its bound and source', () => {
    expect(section(md, '2. Scenarios run')).toContain(
      `| postgres-primary-down | scenarios/postgres-primary-down.yaml | ${'ab'.repeat(32)} | r-1234abcd | PASS | yes |`,
    );
    expect(section(md, '3. Objectives')).toContain(
      '| 1 | postgres-primary-down | rto writes | ≤ 5 min | DISASTER_RECOVERY.md: RTO < 5 min |',
    );
  });

  it('gives the results against the objectives, measured against bound', () => {
    const r = section(md, '4. Results against objectives');
    expect(r).toContain('4 of 6 objective(s) met.');
    expect(r).toContain('| 5 | redis-partition | lost-writes writes | 3 | ≤ 0 | FAIL |');
  });

  it('lists deviations: targets missed, errors, iterations that did not run', () => {
    const d = section(md, '5. Deviations');
    expect(d).toContain('  - lost-writes writes FAIL: measured 3, bound ≤ 0');
    expect(d).toMatch(/ {2}- Error STEADY_STATE_NOT_REACHED: steady state not reached/);
    expect(d).toContain('  - 0 of 3 iterations ran');
    expect(d).toContain(
      `Deviations the harness cannot see (a step done by hand, a page that did not go out): ${TO_FILL}`,
    );
  });

  it('suggests an action per failure, with owner and due date left to fill', () => {
    const a = section(md, '7. Follow-up actions');
    expect(a).toContain(
      `| 1 | investigate: lost-writes writes 3 > 0 (redis-partition) | ${TO_FILL} | ${TO_FILL} | open |`,
    );
    expect(a).toMatch(/\| 3 \| investigate: harness error STEADY_STATE_NOT_REACHED: /);
    expect(a).toContain(`| 4 | ${TO_FILL} | ${TO_FILL} | ${TO_FILL} | ${TO_FILL} |`);
  });

  it('records a lone run with no deviation and nothing to follow up', () => {
    const one = renderDrill({ reports: [passReport()] });
    expect(one.split('\n')[0]).toBe('# DR drill record: postgres-primary-down');
    expect(section(one, '1. Overview')).toContain('| Scope | one scenario: postgres-primary-down |');
    expect(section(one, '5. Deviations')).toContain('None recorded: every scenario behaved as it declares');
    expect(section(one, '7. Follow-up actions')).toContain('No failure to follow up from the measurements');
  });
});

describe('suggestedActions', () => {
  it('suggests nothing for a negative control that failed as declared', () => {
    const control: RunReport = {
      ...splitBrainReport(),
      expectation: { verdict: 'fail', met: true, outcome: 'as-expected', message: 'failed as expected' },
    };
    expect(suggestedActions(control)).toEqual([]);
  });

  it('names a relative bound’s regression with its baseline', () => {
    const r = passReport();
    const rto = r.targets[0]!;
    r.targets[0] = {
      ...rto,
      measured: 5000,
      verdict: 'fail',
      pass: false,
      regression: {
        maxRegression: '+50%',
        ratio: 0.5,
        baseline: { n: 5, median: 1600, runIds: [] },
        limit: 2400,
        verdict: 'fail',
        note: 'regression against baseline (median of 5 runs: 1600 ms): measured 5000 ms > 2400 ms (+50%)',
      },
    };
    expect(suggestedActions(r)).toEqual([
      'investigate: rto writes 5 s, regression against baseline (median of 5 runs: 1600 ms): measured 5000 ms > 2400 ms (+50%)',
    ]);
  });
});
