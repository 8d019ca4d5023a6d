// report.html and summary.html of a real run (`suite http-service-crash` through the CLI, default
// reporters), opened in headless chromium: every chart drawn with its series and the shaded fault
// window, no console error, and no request but the file's own.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../src/core/report-model.js';
import { renderSummaryHtml, type TrendPoint } from '../src/report/index.js';
import { PROJECT_ROOT } from '../src/scenario/load.js';
import { readRunReports, readSummary } from '../src/suite/summary.js';
import { chromiumMissing, launchChromium, openFile } from '../src/testing/chromium.js';

const exec = promisify(execFile);
const missing = chromiumMissing();
// In CI setup.sh has installed chromium: a missing browser there is a broken setup, not a skip.
if (missing && process.env.CI) throw new Error(`the browser tests need chromium: ${missing}`);
if (missing) console.warn(`skipping the browser tests: ${missing}`);

let root: string;
let out: string;
let report: RunReport;

beforeAll(async () => {
  if (missing) return;
  root = mkdtempSync(join(tmpdir(), 'html-report-test-'));
  out = join(root, 'suite');
  // Twice, into one history file: the second summary.html draws both runs in its trend.
  const history = join(root, 'history.jsonl');
  for (const dir of [join(root, 'first'), out]) {
    await exec(
      process.execPath,
      ['bin/chaos-harness.js', 'suite', 'http-service-crash', '--out', dir, '--history', history],
      { cwd: PROJECT_ROOT },
    );
  }
  [report] = readRunReports(readSummary(out), out) as [RunReport];
});
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/**
 * What the tests read of an SVG element in the page (the project compiles without the DOM types).
 * The callbacks of $$eval run in the page, so they cast inline rather than call a helper of this file.
 */
interface SvgNode {
  dataset: Record<string, string | undefined>;
  getTotalLength(): number;
}

/** Each chart as the browser laid it out. */
interface DrawnChart {
  kind: string | undefined;
  width: number;
  /** Each series path: its name and its drawn length in px. */
  series: { name: string | undefined; length: number }[];
  /** The shaded fault window's size on screen, or null. */
  window: { width: number; height: number } | null;
  marks: string[];
}

describe.skipIf(missing !== undefined)('report.html in chromium', () => {
  it("draws each chart of the run's probe, shades the fault window, and loads nothing else", async () => {
    expect(report.verdict).toBe('pass');
    await using browser = await launchChromium();
    const file = join(report.runDir, 'report.html');
    const { page, otherRequests, errors } = await openFile(browser, file);
    expect(await page.title()).toBe('PASS: http-service-crash');
    expect(await page.locator('header .badge').textContent()).toBe('PASS');
    const charts: DrawnChart[] = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((svg) => {
        const rect = svg.querySelector('rect.fault-window')?.getBoundingClientRect();
        return {
          kind: (svg as unknown as SvgNode).dataset.chart,
          width: svg.getBoundingClientRect().width,
          series: [...svg.querySelectorAll('path.series')]
            .map((e) => e as unknown as SvgNode)
            .map((p) => ({
              name: p.dataset.series,
              length: p.getTotalLength(),
            })),
          window: rect ? { width: rect.width, height: rect.height } : null,
          marks: [...svg.querySelectorAll('g.mark text')].map((t) => t.textContent ?? ''),
        };
      }),
    );
    const probes = report.iterations.flatMap((it) => it.probes);
    expect(probes.map((p) => p.probe)).toEqual(['api']);
    expect(charts.map((c) => [c.kind, c.series.map((s) => s.name)])).toEqual([
      ['throughput', ['started', 'ok']],
      ['error-rate', ['error rate']],
      ['latency', ['p50', 'p95']],
    ]);
    for (const c of charts) {
      expect(c.width).toBeGreaterThan(600);
      for (const s of c.series) expect(s.length, `${c.kind} ${s.name}`).toBeGreaterThan(100);
      expect(c.window?.width, c.kind).toBeGreaterThan(5);
      expect(c.window?.height, c.kind).toBeGreaterThan(50);
      expect(c.marks, c.kind).toEqual(['inject', 'recovered']);
    }
    expect(errors).toEqual([]);
    expect(otherRequests).toEqual([]);
  });
});

describe.skipIf(missing !== undefined)('openFile', () => {
  it('catches a page that would fetch anything: a stylesheet, an image, a file next to it', async () => {
    const file = join(root, 'fetches.html');
    writeFileSync(
      file,
      '<!DOCTYPE html><link rel="stylesheet" href="https://cdn.example/x.css"><img src="next-to-it.png"><script>console.error("boom")</script>',
    );
    await using browser = await launchChromium();
    const { otherRequests, errors } = await openFile(browser, file);
    expect(otherRequests.sort()).toEqual([
      `file://${join(root, 'next-to-it.png')}`,
      'https://cdn.example/x.css',
    ]);
    expect(errors).toContain('console: boom');
  });
});

describe.skipIf(missing !== undefined)('summary.html in chromium', () => {
  it("has a row per scenario linking to its report.html, and the trend of the runs' history file", async () => {
    await using browser = await launchChromium();
    const { page, otherRequests, errors } = await openFile(browser, join(out, 'summary.html'));
    const rows = await page.$$eval('tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.slice(0, 3)).toEqual(['http-service-crash', 'PASS', 'yes']);
    const href = await page.locator('tbody a').getAttribute('href');
    expect(existsSync(resolve(out, href ?? 'none'))).toBe(true);
    expect(resolve(out, href ?? 'none')).toBe(join(report.runDir, 'report.html'));
    const trend = await page.$eval('svg.chart[data-chart="rto-trend"]', (svg) => ({
      series: [...svg.querySelectorAll('path.series')].map((e) => (e as unknown as SvgNode).dataset.series),
      dots: svg.querySelectorAll('circle.dot').length,
    }));
    expect(trend).toEqual({ series: ['http-service-crash'], dots: 2 });
    expect(errors).toEqual([]);
    expect(otherRequests).toEqual([]);
  });

  it('draws the RTO trend of the history it is given, a line and dots per scenario', async () => {
    const history: TrendPoint[] = [
      { scenario: 'http-service-crash', startedAt: '2026-12-01T02:00:00.000Z', rtoMs: 2090, verdict: 'pass' },
      { scenario: 'http-service-crash', startedAt: '2026-12-02T02:00:00.000Z', rtoMs: 3100, verdict: 'pass' },
      { scenario: 'redis-primary-down', startedAt: '2026-12-01T02:10:00.000Z', rtoMs: 2290, verdict: 'pass' },
      {
        scenario: 'redis-primary-down',
        startedAt: '2026-12-02T02:10:00.000Z',
        rtoMs: 31_000,
        verdict: 'fail',
      },
      {
        scenario: report.scenario.name,
        startedAt: report.startedAt,
        rtoMs: report.iterations[0]?.rtoMs ?? null,
        verdict: report.verdict,
      },
    ];
    const file = join(dirname(join(out, 'summary.html')), 'summary-with-history.html');
    writeFileSync(
      file,
      renderSummaryHtml(readSummary(out), out, readRunReports(readSummary(out), out), history),
    );
    await using browser = await launchChromium();
    const { page, otherRequests, errors } = await openFile(browser, file);
    const trend = await page.$eval('svg.chart[data-chart="rto-trend"]', (svg) => ({
      series: [...svg.querySelectorAll('path.series')]
        .map((e) => e as unknown as SvgNode)
        .map((p) => [p.dataset.series, p.getTotalLength() > 10]),
      dots: [...svg.querySelectorAll('circle.dot')].map((c) => c.getAttribute('class')),
    }));
    expect(trend.series).toEqual([
      ['http-service-crash', true],
      ['redis-primary-down', true],
    ]);
    expect(trend.dots).toEqual(['dot d-pass', 'dot d-pass', 'dot d-pass', 'dot d-pass', 'dot d-fail']);
    expect(errors).toEqual([]);
    expect(otherRequests).toEqual([]);
  });
});
