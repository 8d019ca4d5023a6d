import { describe, expect, it } from 'vitest';
import { computeTimeline } from '../core/metrics/timeline.js';
import type { OpRecord } from '../core/types.js';
import { errorReport, passReport, splitBrainReport } from './fixtures/run-reports.js';
import { timelineReport } from './fixtures/timelines.js';
import { formatPrimarySchedule } from './format.js';
import { renderHtml } from './html.js';

/** Every chart of a page: its kind, its series paths and whether it shades a fault window. */
function charts(page: string): { kind: string; series: string[]; shaded: boolean; marks: string[] }[] {
  return [...page.matchAll(/<svg class="chart" data-chart="([a-z-]+)"[\s\S]*?<\/svg>/g)].map((m) => ({
    kind: m[1]!,
    series: [...m[0].matchAll(/<path class="series [^"]*" data-series="([^"]+)" d="([^"]*)"/g)].map(
      (p) => `${p[1]}:${p[2] ? 'drawn' : 'empty'}`,
    ),
    shaded: /<rect class="fault-window"/.test(m[0]),
    marks: [...m[0].matchAll(/<g class="mark m-([a-z]+)"/g)].map((x) => x[1]!),
  }));
}

const HOSTILE = `<img src=x onerror=alert(1)> "quoted" & <script>alert('x')</script>`;

describe('renderHtml', () => {
  it('opens with the verdict, its meaning and the exit code, and says whether the run behaved as declared', () => {
    const report = splitBrainReport();
    report.expectation = {
      verdict: 'fail',
      failing: ['lost-writes'],
      met: true,
      outcome: 'as-expected',
      message: 'failed as expected, on lost-writes',
    };
    const page = renderHtml(report);
    expect(page).toMatch(/^<!DOCTYPE html>\n<html lang="en"><head>/);
    expect(page).toContain('<title>FAIL: redis-partition</title>');
    expect(page).toContain('<span class="badge v-fail">FAIL</span> redis-partition</h1>');
    expect(page).toContain('<strong>Verdict: FAIL</strong> (exit code 1) — at least one target failed.');
    expect(page).toContain(
      '<strong>Expected: FAIL on lost-writes: behaved as declared</strong> — failed as expected, on lost-writes.',
    );
    // The verdict comes before anything else of the run.
    expect(page.indexOf('Verdict: FAIL')).toBeLessThan(page.indexOf('<h2>Targets</h2>'));
    // The primary probe's schedule, as report.md states it.
    expect(page).toContain(`<li>Schedule: ${formatPrimarySchedule(report).replace(/"/g, '&quot;')}</li>`);
  });

  it('lists every target with its bound, measured value, pass and source, formatted as report.md does', () => {
    const page = renderHtml(splitBrainReport());
    expect(page).toContain(
      '<tr><td>rto writes</td><td class="num">≤ 30 s</td><td class="num">28.5 s</td><td><span class="t-pass">PASS</span></td><td>HA runbook: Redis Sentinel RTO &lt; 30 sec</td></tr>',
    );
    expect(page).toContain('<td class="num">3</td><td><span class="t-fail">FAIL</span></td>');
    expect(page).toContain(
      '<td class="num">no operations in phase</td><td><span class="t-inconclusive">INCONCLUSIVE</span> — the fault phase was shorter than one probe interval</td>',
    );
  });

  it('draws, for each probe of each iteration, throughput, error rate and latency with the fault window shaded', () => {
    const report = timelineReport();
    const drawn = charts(renderHtml(report));
    expect(drawn).toHaveLength(report.iterations.length * 2 * 3);
    for (let i = 0; i < drawn.length; i += 3) {
      expect(drawn.slice(i, i + 3)).toEqual([
        { kind: 'throughput', series: ['started:drawn', 'ok:drawn'], shaded: true, marks: expect.any(Array) },
        { kind: 'error-rate', series: ['error rate:drawn'], shaded: true, marks: expect.any(Array) },
        { kind: 'latency', series: ['p50:drawn', 'p95:drawn'], shaded: true, marks: expect.any(Array) },
      ]);
      expect(drawn[i]!.marks).toEqual(['inject', 'detected', 'recovered']);
    }
  });

  it('marks a timed fault ending, and leaves out detection when the stack reports none', () => {
    const report = timelineReport();
    const it0 = report.iterations[0]!;
    it0.detectedAtMs = null;
    it0.mttdMs = null;
    it0.faults[0]!.endedAtMs = it0.tInjectMs + 500;
    expect(charts(renderHtml(report))[0]!.marks).toEqual(['inject', 'ended', 'recovered']);
  });

  it('says so for a probe without a timeline (a report written before timelines)', () => {
    const page = renderHtml(passReport());
    expect(charts(page)).toEqual([]);
    expect(page).toContain('No timeline was recorded for this probe');
  });

  it('shows the iterations with RTO, lost writes and MTTR, and the lost keys', () => {
    const page = renderHtml(splitBrainReport());
    expect(page).toContain(
      '<td class="num">3 of 5000 (2 acknowledged after the fault)</td><td class="num">40 ms</td>',
    );
    expect(page).toContain('<strong>3</strong> of 5000 acknowledged');
    expect(page).toContain(
      '<td><code>k|2003</code></td><td class="num">+20.030s</td><td>after fault by 30 ms</td>',
    );
    expect(page).toContain(
      '<tr><td class="num">1 iteration</td><td class="num">28.5 s</td><td class="num">28.5 s</td>',
    );
    expect(renderHtml(passReport())).toContain('<td>detect (1.52 s), promote node2 (323 ms)</td>');
  });

  it('gives the facts an auditor asks for', () => {
    const page = renderHtml(passReport());
    for (const cell of [
      'chaos-harness 0.1.0, commit 0123456789abcdef0123456789abcdef01234567',
      `scenarios/postgres-primary-down.yaml (sha256 ${'ab'.repeat(32)})`,
      '<td>Run id</td><td>r-1234abcd</td>',
      '<td>Operator</td><td>drill-lead</td>',
      'ci-1: Debian GNU/Linux 12 (bookworm), Linux 6.1.0, x64',
      '<td>Version: postgres</td><td>postgres (PostgreSQL) 15.14</td>',
      '0.50 / 0.40 / 0.30 at start, 1.25 / 0.60 / 0.35 at end',
    ])
      expect(page).toContain(cell);
  });

  it('escapes whatever the scenario or the stack said: names, messages, keys, sources, events', () => {
    const report = splitBrainReport();
    report.scenario.name = HOSTILE;
    report.scenario.description = HOSTILE;
    report.error = { code: 'X', message: HOSTILE };
    report.targets[0]!.source = HOSTILE;
    report.iterations[0]!.probes[0]!.probe = HOSTILE;
    report.iterations[0]!.probes[0]!.rpo!.lostSample[0]!.key = HOSTILE;
    report.iterations[0]!.faults[0]!.description = HOSTILE;
    report.events[0]!.message = HOSTILE;
    report.facts.operator = HOSTILE;
    const page = renderHtml(report);
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<script');
    expect(page).not.toMatch(/data-probe="[^"]*"[^>]*onerror/);
    const escaped = '&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &amp; &lt;script&gt;';
    // Title, heading, description, error, source, probe (heading and attribute), key, fault, event, operator.
    expect(page.split(escaped).length - 1).toBeGreaterThanOrEqual(11);
  });

  it('loads nothing: no script, no external stylesheet, font, image or link target', () => {
    const page = renderHtml(timelineReport());
    expect(page).not.toMatch(/<script|<img|@import|url\(|https?:\/\//i);
    expect([...page.matchAll(/<link [^>]*>/g)].map((m) => m[0])).toEqual(['<link rel="icon" href="data:,">']);
    expect([...page.matchAll(/href="([^"]*)"/g)].map((m) => m[1]).filter((h) => !h!.startsWith('#'))).toEqual(
      ['data:,'],
    );
  });

  it('stays under 1 MB for a 3-iteration run with two probes, and for a 2-minute iteration', () => {
    const three = renderHtml(timelineReport());
    expect(Buffer.byteLength(three)).toBeLessThan(1_000_000);
    // deploy-failure-no-rollback: one iteration that never recovers in 130 s, a probe every 10 ms.
    const long = timelineReport();
    const it0 = long.iterations[0]!;
    const w = { startMs: it0.startMs!, endMs: it0.startMs! + 136_000 };
    const ops: OpRecord[] = [];
    for (let t = w.startMs; t < w.endMs; t += 10)
      ops.push({
        id: ops.length,
        startMs: t,
        endMs: t + 2,
        outcome: t > it0.tInjectMs && t % 20 === 0 ? 'fail' : 'ok',
      });
    for (const p of it0.probes) p.timeline = computeTimeline(ops, w);
    long.iterations = [{ ...it0, ...w, faultEndMs: w.endMs }];
    expect(Buffer.byteLength(renderHtml(long))).toBeLessThan(1_000_000);
  });

  it('renders a run that measured nothing, with its error', () => {
    const page = renderHtml(errorReport());
    expect(page).toContain('<strong>Error</strong> <code>STEADY_STATE_NOT_REACHED</code>');
    expect(page).toContain('after 30s &lt;check&gt; &amp; &quot;retry&quot;');
    expect(page).toContain('<p>No iteration ran.</p>');
    expect(page).toContain('<p>No target was evaluated.</p>');
  });
});
