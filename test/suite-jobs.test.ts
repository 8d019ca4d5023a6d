// `chaos-harness suite --jobs`: real runs side by side, each in a process of its own with its own
// loopback ports; every report names the runs it overlapped; killing the suite's process with
// SIGKILL still tears its runs down (they see their IPC channel close); Ctrl-C ends them as ERROR.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../src/core/report-model.js';
import { markedProcesses } from '../src/providers/local/run-registry.js';
import { portRange } from '../src/providers/provider-run.js';
import type { SuiteSummary } from '../src/suite/summary.js';
import { startCli } from '../src/testing/cli.js';
import { waitFor } from '../src/testing/wait.js';

let root: string;
let stateDir: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'suite-jobs-test-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'suite-jobs-state-'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

const A = 'http-service-crash';
const B = 'test/fixtures/scenarios/pause-repeat.yaml';

const reportOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;
const summaryOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as SuiteSummary;
const suite = (out: string, ...extra: string[]) =>
  startCli(
    ['suite', A, B, '--jobs', '2', '--out', out, '--no-history', ...extra],
    { CHAOS_HARNESS_STATE_DIR: stateDir },
    { group: true },
  );
/** The run ids of the records in the state directory (one per run in flight). */
const recordedRuns = () =>
  readdirSync(stateDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5));

describe('chaos-harness suite --jobs', () => {
  it('runs two at once, each with its own ports, and each report names the other', async () => {
    const out = join(root, 'both');
    const run = suite(out);
    expect(await run.exited, run.output()).toBe(0);
    const s = summaryOf(out);
    expect(s.scenarios.map((e) => [e.name, e.exitCode])).toEqual([
      ['http-service-crash', 0],
      ['pause-repeat', 0],
    ]);
    const a = reportOf(join(out, 'http-service-crash'));
    const b = reportOf(join(out, 'pause-repeat'));
    expect(a.facts.suite?.jobs).toBe(2);
    expect(a.facts.suite?.alongside.map((x) => x.name)).toEqual(['pause-repeat']);
    expect(b.facts.suite?.alongside.map((x) => x.name)).toEqual(['http-service-crash']);
    expect(a.facts.suite?.alongside[0]?.overlapMs).toBeGreaterThan(1000);
    expect(a.facts.host.cpuBusy?.seconds).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'http-service-crash', 'report.md'), 'utf8')).toMatch(
      /\| Ran alongside \| pause-repeat \([\d.]+ s\): runs of the same suite \(--jobs 2\)/,
    );
    // The two services listened in the two slots' ranges, which never meet.
    const portIn = (dir: string) => {
      const log = readdirSync(dir).find((f) => f.endsWith('.log') && f !== 'console.log');
      return Number(/127\.0\.0\.1:(\d+)/.exec(readFileSync(join(dir, log as string), 'utf8'))?.[1]);
    };
    const ports = [portIn(join(out, 'http-service-crash')), portIn(join(out, 'pause-repeat'))];
    const ranges = [portRange('20000-21499') as number[], portRange('21500-22999') as number[]];
    expect(ports.map((p) => ranges.findIndex((r) => r.includes(p))).sort()).toEqual([0, 1]);
    expect(recordedRuns()).toEqual([]);
  });

  it('after a SIGKILL of the suite, its runs tear themselves down and leave nothing', async () => {
    const out = join(root, 'killed');
    const run = suite(out);
    await waitFor(
      'both runs to have started',
      () => (recordedRuns().length === 2 ? true : undefined),
      30_000,
    );
    const runs = recordedRuns();
    await waitFor(
      'both runs to have processes',
      () => (runs.every((id) => markedProcesses(id).length > 0) ? true : undefined),
      30_000,
    );
    run.child.kill('SIGKILL');
    await run.exited;
    await waitFor(
      'the runs to tear down',
      () =>
        recordedRuns().length === 0 && runs.every((id) => markedProcesses(id).length === 0)
          ? true
          : undefined,
      30_000,
    );
    // Each wrote its report: interrupted, not left half done.
    for (const dir of ['http-service-crash', 'pause-repeat']) {
      const r = reportOf(join(out, dir));
      expect([r.verdict, r.error?.code]).toEqual(['error', 'INTERRUPTED']);
    }
  });

  it('on SIGINT ends the runs in flight as ERROR (interrupted), writes the summary and exits 2', async () => {
    const out = join(root, 'interrupted');
    const run = suite(out);
    await waitFor('a fault', () => (recordedRuns().length === 2 ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, 2000));
    // As Ctrl-C in a terminal does: to the whole process group of the suite.
    process.kill(-(run.child.pid as number), 'SIGINT');
    expect(await run.exited, run.output()).toBe(2);
    const s = summaryOf(out);
    expect(s.exitCode).toBe(2);
    expect(s.scenarios.map((e) => [e.name, e.verdict, e.error?.code])).toEqual([
      ['http-service-crash', 'error', 'INTERRUPTED'],
      ['pause-repeat', 'error', 'INTERRUPTED'],
    ]);
    expect(recordedRuns()).toEqual([]);
  });

  it('rejects a --jobs that is not 1 to 8 before running anything', async () => {
    const run = startCli(['suite', A, '--jobs', '9', '--out', join(root, 'bad')]);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain(
      "option '--jobs <n>' argument '9' is invalid. expected a whole number from 1 to 8",
    );
  });
});

describe('portRange', () => {
  it('reads "from-to" and rejects anything else with the variable named', () => {
    expect(portRange('20000-20002')).toEqual([20000, 20001, 20002]);
    expect(portRange(undefined)).toBeUndefined();
    expect(() => portRange('80-90')).toThrow(
      /CHAOS_HARNESS_PORTS is "80-90": expected a port range "from-to" within 1024-65535/,
    );
    expect(() => portRange('2000')).toThrow(/CHAOS_HARNESS_PORTS/);
  });
});
