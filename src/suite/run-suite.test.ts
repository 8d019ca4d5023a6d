// runSuite's scheduling with --jobs: how many runs go at once, which start first, that a scenario
// listed twice never runs beside itself, what each report says about the runs it overlapped, and
// the summary in selection order. The runs are stand-ins that wait; the suite itself is real.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../core/report-model.js';
import { passReport } from '../report/fixtures/run-reports.js';
import { ReporterSet } from '../report/index.js';
import { type LoadedScenario, loadScenario } from '../scenario/load.js';
import { declaredMs } from './estimate.js';
import { overlapsOf, runSuite, startOrder } from './run-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'run-suite-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const named = (name: string): LoadedScenario => ({ ...loadScenario('http-service-crash'), name });

/** A stand-in run of `ms` per scenario name; records how many were in flight at once. */
function fakeRuns(ms: Record<string, number>, exitCodes: Record<string, 0 | 1> = {}) {
  const log: { name: string; slot: number; event: 'start' | 'end' }[] = [];
  let inFlight = 0;
  let most = 0;
  return {
    log,
    most: () => most,
    run: async (o: {
      scenario: LoadedScenario;
      outDir: string;
      slot: number;
      onStart?: ((s: { runId: string; runDir: string; provider: 'local' }) => void) | undefined;
    }): Promise<RunReport> => {
      o.onStart?.({ runId: `fake-${o.scenario.name}`, runDir: o.outDir, provider: 'local' });
      inFlight++;
      most = Math.max(most, inFlight);
      log.push({ name: o.scenario.name, slot: o.slot, event: 'start' });
      await sleep(ms[o.scenario.name] ?? 10);
      log.push({ name: o.scenario.name, slot: o.slot, event: 'end' });
      inFlight--;
      const r = passReport();
      return {
        ...r,
        scenario: { ...r.scenario, name: o.scenario.name },
        exitCode: exitCodes[o.scenario.name] ?? 0,
        runDir: o.outDir,
      };
    },
  };
}

const suiteOf = (
  scenarios: LoadedScenario[],
  run: ReturnType<typeof fakeRuns>['run'],
  jobs: number,
  extra = {},
) =>
  runSuite({
    scenarios,
    selection: { refs: [], tags: [], shards: [], selected: scenarios.length },
    outDir: join(dir, `s-${Math.random().toString(36).slice(2)}`),
    run,
    jobs,
    estimateMs: (s) => ({ long: 300, mid: 200 })[s.name] ?? 100,
    reporters: new ReporterSet([]),
    ...extra,
  });

describe('runSuite with jobs', () => {
  it('runs at most `jobs` at once, longest first, and lists the summary in selection order', async () => {
    const f = fakeRuns({ short: 40, mid: 120, long: 200, other: 40 });
    const s = await suiteOf([named('short'), named('mid'), named('long'), named('other')], f.run, 2);
    expect(f.most()).toBe(2);
    expect(f.log.filter((e) => e.event === 'start').map((e) => e.name)).toEqual([
      'long',
      'mid',
      'short',
      'other',
    ]);
    expect(s.scenarios.map((e) => e.name)).toEqual(['short', 'mid', 'long', 'other']);
    // Two runs in flight never share a slot (and so never a port range).
    const slotsInUse = new Set<number>();
    for (const e of f.log) {
      if (e.event === 'start') {
        expect(slotsInUse.has(e.slot)).toBe(false);
        slotsInUse.add(e.slot);
      } else slotsInUse.delete(e.slot);
    }
  });

  it('writes into each report the runs it overlapped and for how long', async () => {
    const f = fakeRuns({ long: 300, mid: 100 });
    const reports: RunReport[] = [];
    const reporters = new ReporterSet([
      { name: 'grab', reporter: { onRunReported: (r) => void reports.push(r) } },
    ]);
    await suiteOf([named('mid'), named('long')], f.run, 2, { reporters });
    const long = reports.find((r) => r.scenario.name === 'long');
    const mid = reports.find((r) => r.scenario.name === 'mid');
    expect(long?.facts.suite?.jobs).toBe(2);
    expect(long?.facts.suite?.alongside.map((a) => a.name)).toEqual(['mid']);
    expect(mid?.facts.suite?.alongside.map((a) => a.name)).toEqual(['long']);
    // mid lasted 100 ms, all of it beside long.
    expect(mid?.facts.suite?.alongside[0]?.overlapMs).toBeGreaterThanOrEqual(90);
    expect(mid?.facts.suite?.alongside[0]?.overlapMs).toBeLessThan(200);
  });

  it('never runs a scenario beside itself', async () => {
    const f = fakeRuns({ long: 80 });
    const s = await suiteOf([named('long'), named('long'), named('short')], f.run, 3);
    const longs = f.log.filter((e) => e.name === 'long').map((e) => e.event);
    expect(longs).toEqual(['start', 'end', 'start', 'end']);
    expect(s.scenarios).toHaveLength(3);
  });

  it('with --bail starts nothing after a run that did not behave as declared, and names the rest', async () => {
    const f = fakeRuns({ long: 50, mid: 50, a: 10, b: 10 }, { long: 1 });
    const s = await suiteOf([named('a'), named('long'), named('b'), named('mid')], f.run, 1, { bail: true });
    // With one job the order is the selection's, whatever the estimates say.
    expect(s.scenarios.map((e) => e.name)).toEqual(['a', 'long']);
    expect(s.notRun.map((n) => [n.name, n.reason])).toEqual([
      ['b', 'bail'],
      ['mid', 'bail'],
    ]);
    expect(s.scenarios[0]?.exitCode).toBe(0);
    expect(s.scenarios.every((e) => !('suite' in e))).toBe(true);
  });

  it('one job adds nothing about other runs to the report', async () => {
    const f = fakeRuns({});
    const reports: RunReport[] = [];
    const reporters = new ReporterSet([
      { name: 'grab', reporter: { onRunReported: (r) => void reports.push(r) } },
    ]);
    await suiteOf([named('a'), named('b')], f.run, 1, { reporters });
    expect(reports.map((r) => r.facts.suite)).toEqual([undefined, undefined]);
  });
});

describe('overlapsOf and startOrder', () => {
  it('counts only the time two runs shared, and runs still going up to this one’s end', () => {
    expect(
      overlapsOf({ index: 0, startMs: 100, endMs: 500 }, [
        { index: 0, name: 'self', startMs: 100, endMs: 500 },
        { index: 1, name: 'before', startMs: 0, endMs: 150 },
        { index: 2, name: 'going', startMs: 400 },
        { index: 3, name: 'after', startMs: 600, endMs: 700 },
      ]),
    ).toEqual([
      { name: 'going', overlapMs: 100 },
      { name: 'before', overlapMs: 50 },
    ]);
  });

  it('orders the built-in scenarios by what they declare, the never-recovering control first', () => {
    const names = ['http-service-crash', 'deploy-failure-no-rollback', 'sqlite-corruption-slow-backup'];
    const scenarios = names.map((n) => loadScenario(n));
    expect(startOrder(scenarios, 2, declaredMs).map((i) => names[i])).toEqual([
      'deploy-failure-no-rollback',
      'sqlite-corruption-slow-backup',
      'http-service-crash',
    ]);
    expect(startOrder(scenarios, 1, declaredMs)).toEqual([0, 1, 2]);
    // steady 3 s + observe 1 s + settle 1 s, and the 130 s recovery timeout it must wait out.
    expect(declaredMs(scenarios[1] as LoadedScenario)).toBe(135_000);
  });
});
