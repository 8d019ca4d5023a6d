import { describe, expect, it } from 'vitest';
import type { RunHistory, RunReport } from '../core/report-model.js';
import { passReport } from './fixtures/run-reports.js';
import { changePercent, comparisonRows } from './history-comparison.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';

const figures = {
  p95Ms: { writes: { steady: 5, fault: 120, recovered: 6 } },
  lostWrites: { lost: 0, acknowledged: 900 },
};

function withHistory(history: RunHistory): RunReport {
  return { ...passReport(), history };
}

describe('report.md: Compared with earlier runs', () => {
  it('names the previous run and the baseline, with this run, both figures and the change', () => {
    const md = renderMarkdown(
      withHistory({
        file: '/runs/history.jsonl',
        earlierRuns: 4,
        passingRuns: 3,
        previous: {
          runId: 'r-prev',
          startedAt: '2025-02-28T02:00:00.000Z',
          finishedAt: '2025-02-28T02:01:40.000Z',
          verdict: 'fail',
          exitCode: 1,
          sameScenarioFile: false,
          rtoMs: [4000],
          rtoMedianMs: 4000,
          mttrMs: 4000,
          ...figures,
        },
        baseline: {
          runs: 5,
          n: 3,
          runIds: ['r-a', 'r-b', 'r-c'],
          rtoMedianMs: 1600,
          mttrMedianMs: 1700,
          p95MedianMs: { writes: { steady: 5, fault: 100, recovered: 6 } },
          lostWritesMedian: 0,
          otherScenarioFile: 1,
        },
      }),
    );
    const section = md.slice(md.indexOf('## Compared with earlier runs'), md.indexOf('## Iterations'));
    expect(section).toContain(
      '4 earlier run(s) of `postgres-primary-down` on provider local in `/runs/history.jsonl`, 3 of them passing',
    );
    expect(section).toContain(
      '- Previous run: `r-prev`, started 2025-02-28T02:00:00.000Z, FAIL (exit code 1), with another version of the scenario file.',
    );
    expect(section).toContain(
      '- Baseline: the median of the last 3 passing run(s) (up to 5 are taken): `r-a`, `r-b`, `r-c`; 1 of them',
    );
    expect(section).toContain(
      '| Metric | This run | Previous run | Baseline median (n = 3) | Change vs baseline |',
    );
    // This run: RTOs 1843, 2210, 1650 → median 1.84 s; MTTR 1901 ms.
    expect(section).toContain('| RTO (median of the iterations) | 1.84 s | 4 s | 1.60 s | +15.2% |');
    expect(section).toContain('| MTTR | 1.90 s | 4 s | 1.70 s | +11.8% |');
    expect(section).toMatch(/\| p95 latency, writes, fault \| .+ \| 120 ms \| 100 ms \| .+% \|/);
    expect(section).toContain('| Lost writes | 0 | 0 | 0 | 0% |');
  });

  it('says so when this is the first run of the scenario in the history', () => {
    const md = renderMarkdown(
      withHistory({ file: '/h.jsonl', earlierRuns: 0, passingRuns: 0, previous: null, baseline: null }),
    );
    expect(md).toContain(
      'No earlier run of `postgres-primary-down` on provider local in `/h.jsonl`: this is the first, and later runs will compare with it.',
    );
  });

  it('says there is no baseline yet when no earlier run passed', () => {
    const md = renderMarkdown(
      withHistory({
        file: '/h.jsonl',
        earlierRuns: 1,
        passingRuns: 0,
        previous: {
          runId: 'r-x',
          startedAt: 's',
          finishedAt: 'f',
          verdict: 'error',
          exitCode: 2,
          sameScenarioFile: true,
          rtoMs: [],
          rtoMedianMs: null,
          mttrMs: null,
          p95Ms: {},
          lostWrites: null,
        },
        baseline: null,
      }),
    );
    expect(md).toContain('- No baseline yet: 0 passing runs in `/h.jsonl`.');
    expect(md).toContain('| RTO (median of the iterations) | 1.84 s | — | — | — |');
  });

  it('has no such section for a run made without history', () => {
    expect(renderMarkdown(passReport())).not.toContain('Compared with earlier runs');
  });
});

describe('changePercent', () => {
  it.each([
    [1500, 1000, '+50%'],
    [900, 1000, '-10%'],
    [0, 0, '0%'],
    [3, 0, 'from 0'],
    [null, 1000, '—'],
    [1000, null, '—'],
  ])('%s against %s is %s', (now, base, text) => {
    expect(changePercent(now, base)).toBe(text);
  });
});

describe('report.html: Compared with earlier runs', () => {
  it('shows the same previous run, baseline and rows as report.md', () => {
    const report = withHistory({
      file: '/runs/history.jsonl',
      earlierRuns: 2,
      passingRuns: 2,
      previous: {
        runId: 'r-prev',
        startedAt: '2025-02-28T02:00:00.000Z',
        finishedAt: '2025-02-28T02:01:40.000Z',
        verdict: 'pass',
        exitCode: 0,
        sameScenarioFile: true,
        rtoMs: [4000],
        rtoMedianMs: 4000,
        mttrMs: 4000,
        ...figures,
      },
      baseline: {
        runs: 5,
        n: 2,
        runIds: ['r-a', 'r-prev'],
        rtoMedianMs: 2000,
        mttrMedianMs: 2000,
        p95MedianMs: { writes: { steady: 5, fault: 100, recovered: 6 } },
        lostWritesMedian: 0,
        otherScenarioFile: 0,
      },
    });
    const page = renderHtml(report);
    const section = page.slice(
      page.indexOf('<section id="history">'),
      page.indexOf('</section>', page.indexOf('<section id="history">')),
    );
    expect(section).toContain(
      'Previous run: <code>r-prev</code>, started 2025-02-28T02:00:00.000Z, PASS (exit code 0).',
    );
    expect(section).toContain(
      'Baseline: the median of the last 2 passing run(s) (up to 5 are taken): r-a, r-prev.',
    );
    // Each row of report.md's table is a row here, cell for cell.
    for (const row of comparisonRows(report))
      expect(section).toContain(`<td>${row[0]}</td><td class="num">${row[1]}</td>`);
    expect(comparisonRows(report).length).toBeGreaterThan(2);
  });

  it('says so when there is no earlier run', () => {
    const page = renderHtml(
      withHistory({ file: '/h.jsonl', earlierRuns: 0, passingRuns: 0, previous: null, baseline: null }),
    );
    expect(page).toContain(
      'No earlier run of <code>postgres-primary-down</code> on provider local in <code>/h.jsonl</code>',
    );
  });
});
