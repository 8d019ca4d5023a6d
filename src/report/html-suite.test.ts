import { describe, expect, it } from 'vitest';
import type { RunReport } from '../core/report-model.js';
import { entryOf, newSummary, type SuiteSummary } from '../suite/summary.js';
import { errorReport, splitBrainReport } from './fixtures/run-reports.js';
import { timelineReport } from './fixtures/timelines.js';
import { htmlReporter } from './html-reporter.js';
import { renderSummaryHtml, renderTrend, type TrendPoint } from './html-suite.js';

const DIR = '/suite/out';

function suite(): { summary: SuiteSummary; reports: RunReport[] } {
  const pass = { ...timelineReport(), runDir: `${DIR}/postgres-primary-down` };
  const fail = {
    ...splitBrainReport(),
    runDir: `${DIR}/redis partition #2`,
    expectation: {
      verdict: 'fail' as const,
      failing: ['lost-writes'],
      met: true,
      outcome: 'as-expected' as const,
      message: 'failed as expected',
    },
    exitCode: 0 as const,
  };
  const error = {
    ...errorReport(),
    scenario: { name: 'sqlite-<b>x</b>', file: 'x.yaml' },
    runDir: `${DIR}/x`,
  };
  const reports = [pass, fail, error];
  const summary = newSummary(
    { refs: [], tags: ['nightly'], shards: [], selected: 4 },
    '2026-12-01T02:00:00.000Z',
  );
  summary.scenarios = reports.map((r) => entryOf(r, r.scenario.file, [], DIR));
  summary.notRun = [{ name: 'deploy-failure', file: 'scenarios/deploy-failure.yaml', reason: 'bail' }];
  summary.exitCode = 2;
  return { summary, reports };
}

const rows = (page: string) => [...page.matchAll(/<tr><td><code>[\s\S]*?<\/tr>/g)].map((m) => m[0]);

describe('renderSummaryHtml', () => {
  it('has a row per scenario: verdict, as declared, RTO per iteration, lost writes and a link to its report.html', () => {
    const { summary, reports } = suite();
    const page = renderSummaryHtml(summary, DIR, reports);
    expect(page).toContain('Suite: 2 of 4 scenarios behaved as declared</h1>');
    const [pass, fail, error] = rows(page);
    expect(pass).toContain('<span class="t-pass">PASS</span>');
    expect(pass).toContain('<td class="num">1.84 s, 2.21 s, 1.65 s</td><td class="num">0 of 4440</td>');
    expect(pass).toContain('<a href="postgres-primary-down/report.html">report.html</a>');
    expect(fail).toContain('<span class="t-pass">yes (fail, as declared)</span>');
    expect(fail).toContain('<td class="num">3 of 5000 (2 acknowledged after the fault)</td>');
    expect(fail).toContain('<a href="redis%20partition%20%232/report.html">');
    expect(error).toContain('<code>sqlite-&lt;b&gt;x&lt;/b&gt;</code>');
    expect(error).toContain('<td class="num">—</td><td class="num">not verified</td>');
    expect(error).toContain('STEADY_STATE_NOT_REACHED: steady state not reached');
    expect(page).toContain(
      '<li><code>deploy-failure</code>: skipped after a run that did not behave as declared (--bail)</li>',
    );
  });

  it('finds the runs of merged shards, made in other directories, by their place in the summary', () => {
    const { summary, reports } = suite();
    const moved = reports.map((r) => ({ ...r, runDir: `/elsewhere/${r.scenario.name}` }));
    expect(rows(renderSummaryHtml(summary, DIR, moved))[0]).toContain('1.84 s, 2.21 s, 1.65 s');
  });

  it('says there is no history yet without trend points', () => {
    const { summary, reports } = suite();
    const page = renderSummaryHtml(summary, DIR, reports);
    expect(page).toContain('No history yet');
    expect(page).not.toContain('data-chart="rto-trend"');
  });
});

const POINTS: TrendPoint[] = [
  { scenario: 'redis-primary-down', startedAt: '2026-12-01T02:00:00.000Z', rtoMs: 2290, verdict: 'pass' },
  { scenario: 'postgres-primary-down', startedAt: '2026-12-01T02:00:00.000Z', rtoMs: 1700, verdict: 'pass' },
  { scenario: 'postgres-primary-down', startedAt: '2026-12-02T02:00:00.000Z', rtoMs: 2580, verdict: 'pass' },
  { scenario: 'postgres-primary-down', startedAt: '2026-12-03T02:00:00.000Z', rtoMs: null, verdict: 'error' },
  { scenario: 'redis-primary-down', startedAt: '2026-12-03T02:00:00.000Z', rtoMs: 31_000, verdict: 'fail' },
  { scenario: '<i>x</i>', startedAt: 'not a date', rtoMs: 1, verdict: 'pass' },
];

describe('renderTrend', () => {
  it('draws a line per scenario with a dot per run that has an RTO, coloured by verdict', () => {
    const svg = renderTrend(POINTS).text;
    const series = [...svg.matchAll(/data-series="([^"]+)" d="([^"]*)"/g)].map((m) => m[1]);
    expect(series).toEqual(['postgres-primary-down', 'redis-primary-down']);
    expect([...svg.matchAll(/<circle class="dot (d-[a-z]+)"/g)].map((m) => m[1])).toEqual([
      'd-pass',
      'd-pass',
      'd-pass',
      'd-fail',
    ]);
    expect(svg).toContain('not drawn: 1 run without an RTO figure');
    expect(svg).toContain('>12-02 00:00<');
    // A point without a readable date is left out rather than drawn at the epoch.
    expect(svg).not.toContain('&lt;i&gt;');
  });

  it('draws a single run, and says "no history yet" for none', () => {
    expect(renderTrend(POINTS.slice(0, 1)).text).toContain('<circle class="dot d-pass"');
    expect(renderTrend([]).text).toContain('No history yet');
  });
});

describe('htmlReporter', () => {
  it('writes report.html and summary.html, with the history given, set later or read at the end', () => {
    const { summary, reports } = suite();
    const given = htmlReporter({ history: POINTS });
    expect(given.renderRun(reports[0]!).file).toBe('report.html');
    expect(given.renderSuite?.(summary, DIR, reports)).toMatchObject({
      file: 'summary.html',
      text: expect.stringContaining('data-chart="rto-trend"'),
    });
    const later = htmlReporter();
    expect(later.renderSuite?.(summary, DIR, reports).text).toContain('No history yet');
    let asked: string | undefined;
    later.history = (_s, dir) => {
      asked = dir;
      return POINTS;
    };
    expect(later.renderSuite?.(summary, DIR, reports).text).toContain('data-chart="rto-trend"');
    expect(asked).toBe(DIR);
  });
});
