import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter, type ProgressStatus, renderSummary } from './console.js';
import { behindScheduleReport, errorReport, passReport, splitBrainReport } from './fixtures/run-reports.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes is the point
const ANSI = /\x1b\[/;

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const status = (elapsedMs: number): ProgressStatus => ({
  phase: 'fault',
  iteration: 1,
  repeat: 3,
  opsPerSec: 99.7,
  failureStreak: 12,
  elapsedMs,
});

describe('renderSummary', () => {
  it('shows why a run whose probe fell behind its schedule is an ERROR, with the lag', () => {
    const text = renderSummary(behindScheduleReport(), { color: false });
    expect(text.split('\n')[0]).toBe('ERROR  postgres-primary-down  (exit code 2)');
    expect(text).toMatch(/PROBE_BEHIND_SCHEDULE: probe "writes" fell behind its schedule: 3.25%/);
    expect(text).toMatch(
      /^Schedule {2}primary probe "writes" .*p99 38 ms.* 52 of 1600 operations \(3.25%\)/m,
    );
  });

  it('starts with the verdict and marks each target ✓ or ✗ with measured vs bound', () => {
    const text = renderSummary(splitBrainReport(), { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe('FAIL  redis-partition  (exit code 1)');
    expect(lines).toContain('  ✓ rto writes: 28.5 s (bound ≤ 30 s)  HA runbook: Redis Sentinel RTO < 30 sec');
    expect(lines).toContain('  ✗ lost-writes writes: 3 (bound ≤ 0)  HA runbook: no acknowledged write lost');
    expect(text).toMatch(/✗ error-rate \(fault\): no operations in phase \(bound ≤ 50%\) \[inconclusive\]/);
    expect(text).toContain('Lost writes  3 of 5000 acknowledged, 2 of them acknowledged after the fault');
  });

  it('lists per-iteration RTOs, MTTR, wall time and report paths', () => {
    const text = renderSummary(passReport(), {
      color: false,
      reportPaths: ['runs/x/report.json', 'runs/x/report.md'],
    });
    expect(text).toContain('#1  RTO 1.84 s, MTTD 1.52 s, lost writes 0');
    expect(text).toContain('#3  RTO 1.65 s');
    expect(text).toContain('MTTR  mean 1.90 s, median 1.84 s, min 1.65 s, max 2.21 s (n=3)');
    expect(text).toContain(
      'Schedule  primary probe "writes" (every 10 ms): 99.8 of 100 ops/s achieved; schedule lag p50 0.420 ms, p99 4.40 ms, max 13.2 ms; 0 of 1600 operations (0%) more than one interval late (worst of 3 iterations: 2)',
    );
    expect(text).toContain('Wall time  1 min 43 s');
    expect(text).toContain('  runs/x/report.json\n  runs/x/report.md\n');
  });

  it('names the previous run and the baseline when the run read a history', () => {
    const report = passReport();
    const none = { p95Ms: {}, lostWrites: null, rtoMs: [], mttrMs: null };
    report.history = {
      file: '/h.jsonl',
      earlierRuns: 2,
      passingRuns: 1,
      previous: {
        runId: 'r-prev',
        startedAt: 's',
        finishedAt: 'f',
        verdict: 'fail',
        exitCode: 1,
        sameScenarioFile: true,
        rtoMedianMs: 4000,
        ...none,
      },
      baseline: {
        runs: 5,
        n: 1,
        runIds: ['r-a'],
        rtoMedianMs: 1600,
        mttrMedianMs: 1600,
        p95MedianMs: {},
        lostWritesMedian: null,
        otherScenarioFile: 0,
      },
    };
    expect(renderSummary(report, { color: false })).toContain(
      'History  previous run r-prev FAIL, RTO median 4 s; baseline RTO median 1.60 s (n=1)  /h.jsonl',
    );
    report.history = { file: '/h.jsonl', earlierRuns: 0, passingRuns: 0, previous: null, baseline: null };
    expect(renderSummary(report, { color: false })).toContain(
      'History  first run of this scenario here; no baseline yet  /h.jsonl',
    );
  });

  it('names an iteration the scenario named, with its RPO window', () => {
    const report = splitBrainReport();
    report.iterations[0]!.name = 'partition';
    const text = renderSummary(report, { color: false });
    expect(text).toMatch(/#1 \(partition\) {2}RTO 28\.5 s, .*lost writes 3, RPO window \d/);
  });

  it('gives the reason of an error run', () => {
    const text = renderSummary(errorReport(), { color: false });
    expect(text.split('\n').slice(0, 2)).toEqual([
      'ERROR  postgres-primary-down  (exit code 2)',
      '  STEADY_STATE_NOT_REACHED: steady state not reached: writes error rate 12% > 1% after 30s <check> & "retry"',
    ]);
    expect(text).toContain('none evaluated');
  });

  it('uses ANSI colours only when asked', () => {
    expect(renderSummary(passReport(), { color: false })).not.toMatch(ANSI);
    expect(renderSummary(passReport(), { color: true })).toMatch(ANSI);
  });
});

describe('createProgressReporter', () => {
  it('prints timestamped event lines without carriage returns when not a TTY', () => {
    const out = sink();
    const progress = createProgressReporter({ stream: out.stream, isTTY: false, clock: () => 0 });
    progress.event({ tMs: 3214, type: 'inject', message: 'killed primary node2 (pid 1234)' });
    progress.event({ tMs: 5000, type: 'recovered', message: 'writes\nrecovered' });
    progress.close();
    expect(out.text()).toBe(
      '[+3.214s] inject: killed primary node2 (pid 1234)\n[+5.000s] recovered: writes recovered\n',
    );
    expect(out.text()).not.toContain('\r');
    expect(out.text()).not.toMatch(ANSI);
  });

  it('prints status lines at most every 5 s when not a TTY', () => {
    const out = sink();
    let now = 0;
    const progress = createProgressReporter({ stream: out.stream, isTTY: false, clock: () => now });
    for (now = 0; now <= 12_000; now += 500) progress.status(status(now));
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toEqual([
      '[+0.000s] status: iteration 1/3 · fault · 99.7 ops/s · failing ×12 · 0 ms',
      '[+5.000s] status: iteration 1/3 · fault · 99.7 ops/s · failing ×12 · 5 s',
      '[+10.000s] status: iteration 1/3 · fault · 99.7 ops/s · failing ×12 · 10 s',
    ]);
  });

  it('redraws one status line in place on a TTY and prints events above it', () => {
    const out = sink();
    let now = 0;
    const progress = createProgressReporter({
      stream: out.stream,
      isTTY: true,
      clock: () => now,
      color: false,
    });
    progress.status(status(0));
    now = 1000;
    progress.event({ tMs: 1000, type: 'inject', message: 'killed primary' });
    progress.status(status(1000));
    progress.close();
    const status0 = 'iteration 1/3 · fault · 99.7 ops/s · failing ×12 · 0 ms';
    expect(out.text()).toBe(
      `\r\x1b[2K${status0}` +
        '\r\x1b[2K[+1.000s] inject: killed primary\n' +
        `\r\x1b[2K${status0}` +
        '\r\x1b[2Kiteration 1/3 · fault · 99.7 ops/s · failing ×12 · 1 s' +
        '\r\x1b[2K',
    );
  });
});
