// The lifecycle driven with fakes (src/testing/fake-run.ts): what it acquires and releases, in
// which order, and how it judges what it measured, in cases real servers reach only by chance.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type FakeWorld, fakeDeps, fakeScenario, fakeWorld } from '../../testing/fake-run.js';
import type { RunReport } from '../report-model.js';
import type { ProgressStatus } from './progress.js';
import { type RunOptions, runLifecycle } from './run.js';

const ACQUIRED_BEFORE_ITERATIONS = [
  'claim run dir',
  'sweep',
  'sweep',
  'open provider run',
  'start environment',
];
const RELEASED_AFTER_ITERATIONS = ['stop environment', 'close provider run', 'release run dir'];

async function run(
  world: FakeWorld,
  sc = fakeScenario(),
  opts: Partial<RunOptions> = {},
  outageMs?: number,
): Promise<RunReport> {
  return runLifecycle(
    { scenario: sc, runDir: '/fake/run', runId: 'fake-run', ...opts },
    fakeDeps(world, outageMs),
  );
}

const phases = (r: RunReport) => r.events.filter((e) => e.type === 'phase').map((e) => e.data?.phase);

describe('the run lifecycle', () => {
  it('releases everything in reverse order of acquisition when the run passes', async () => {
    const world = fakeWorld();
    const statuses: ProgressStatus[] = [];
    const report = await run(world, fakeScenario(), {
      progress: { event: () => {}, status: (s) => statuses.push(s) },
    });
    expect(report.verdict).toBe('pass');
    expect(report.exitCode).toBe(0);
    expect(report.iterations[0]?.rtoMs).toBeGreaterThan(0);
    expect(world.trail).toEqual([
      ...ACQUIRED_BEFORE_ITERATIONS,
      'start probe api',
      'inject outage',
      'revert outage',
      'stop probe api',
      ...RELEASED_AFTER_ITERATIONS,
    ]);
    expect(phases(report)).toEqual(['bring-up', 'steady', 'inject', 'recover', 'verify', 'teardown']);
    expect(report.events.at(-1)?.type).toBe('done');
    expect(report.environment.info).toEqual({
      fake: true,
      bringUpMs: expect.any(Number),
      fakeProvider: true,
    });
    // The progress timer went with the run.
    const seen = statuses.length;
    expect(seen).toBeGreaterThan(0);
    await sleep(700);
    expect(statuses).toHaveLength(seen);
  });

  it("records each probe's timeline over the iteration and the fault window the charts shade", async () => {
    const report = await run(fakeWorld(), fakeScenario(), {}, 300);
    const it0 = report.iterations[0]!;
    const { startMs, endMs, faultEndMs } = it0;
    expect(startMs).toBeLessThan(it0.tInjectMs);
    expect(endMs).toBeGreaterThan(it0.recoveredAtMs!);
    // No timed fault: the window closes when the probe recovered.
    expect(faultEndMs).toBe(it0.recoveredAtMs);
    expect(it0.detectedAtMs).toBeNull();
    expect(it0.faults[0]).not.toHaveProperty('endedAtMs');
    const t = it0.probes[0]!.timeline!;
    expect(t).toMatchObject({ startMs, endMs, bucketMs: 100 });
    expect(t.started).toHaveLength(Math.ceil((endMs! - startMs!) / 100));
    // Every op the probe recorded is in exactly one bucket; the 300 ms outage failed some of them.
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const phases = Object.values(it0.probes[0]!.phases);
    expect(sum(t.started)).toBe(sum(phases.map((p) => p.count)));
    expect(sum(t.failed)).toBe(sum(phases.map((p) => p.failed)));
    expect(sum(t.failed)).toBeGreaterThan(0);
    expect(t.ok.every((n, i) => n + t.failed[i]! + t.unknown[i]! === t.started[i])).toBe(true);
  });

  it('releases everything in reverse order when an injector throws mid-iteration, and reports ERROR', async () => {
    const world = fakeWorld();
    const report = await run(world, fakeScenario({ faults: ['outage', 'throws'] }));
    expect(report.verdict).toBe('error');
    expect(report.exitCode).toBe(2);
    expect(report.error).toEqual({
      code: 'INJECTION_FAILED',
      message: 'throws failed: the fake injector refuses',
    });
    expect(report.targets).toEqual([]);
    expect(world.trail).toEqual([
      ...ACQUIRED_BEFORE_ITERATIONS,
      'start probe api',
      'inject outage',
      'revert outage',
      'stop probe api',
      ...RELEASED_AFTER_ITERATIONS,
    ]);
    // Reverted before the error is reported, and the error is the iteration's.
    const types = report.events.map((e) => e.type);
    expect(types.indexOf('revert')).toBeLessThan(types.indexOf('error'));
    expect(report.events.find((e) => e.type === 'error')?.iteration).toBe(0);
  });

  it('releases everything in reverse order when the run is aborted mid-fault, and reports INTERRUPTED', async () => {
    const ac = new AbortController();
    const world = fakeWorld({ onInject: () => ac.abort(new Error('SIGINT received')) });
    const report = await run(world, fakeScenario(), { signal: ac.signal });
    expect(report.verdict).toBe('error');
    expect(report.exitCode).toBe(2);
    expect(report.error).toEqual({ code: 'INTERRUPTED', message: 'interrupted: SIGINT received' });
    expect(world.trail).toEqual([
      ...ACQUIRED_BEFORE_ITERATIONS,
      'start probe api',
      'inject outage',
      'revert outage',
      'stop probe api',
      ...RELEASED_AFTER_ITERATIONS,
    ]);
    expect(phases(report)).toEqual(['bring-up', 'steady', 'inject', 'recover', 'teardown']);
  });

  it('ends ERROR PROBE_FAILED, naming the probe, when a probe stops working during the fault', async () => {
    const world = fakeWorld();
    const report = await run(world, fakeScenario({ faults: ['outage', 'break-probe'] }), {}, 1500);
    expect(report.verdict).toBe('error');
    expect(report.exitCode).toBe(2);
    expect(report.error?.code).toBe('PROBE_FAILED');
    expect(report.error?.message).toMatch(
      /^probe "api" stopped working: its client ended \(broken by the test\)/,
    );
    expect(report.targets).toEqual([]);
    expect(report.events.some((e) => e.type === 'probe-failed' && e.data?.probe === 'api')).toBe(true);
    expect(world.trail.slice(-6)).toEqual([
      'revert break-probe',
      'revert outage',
      'stop probe api',
      ...RELEASED_AFTER_ITERATIONS,
    ]);
  });

  it('does not pass a fault that had no observable effect: INCONCLUSIVE, exit code 1', async () => {
    const report = await run(fakeWorld(), fakeScenario({ faults: ['noop'] }));
    expect(report.verdict).toBe('inconclusive');
    expect(report.exitCode).toBe(1);
    expect(report.error?.code).toBe('NO_IMPACT');
    expect(report.iterations[0]).toMatchObject({ impact: false, rtoMs: null });
    expect(report.targets[0]).toMatchObject({ metric: 'rto', verdict: 'inconclusive', pass: false });
  });

  it('re-expands a faults + repeat scenario to --repeat iterations, healing and settling between them', async () => {
    const world = fakeWorld({ waitHealthy: true });
    const report = await run(world, fakeScenario({ repeat: 1, settleMs: 20 }), { repeat: 3 });
    expect(report.verdict).toBe('pass');
    expect(report.repeat).toBe(3);
    expect(report.iterations.map((i) => i.index)).toEqual([0, 1, 2]);
    expect(report.mttr?.n).toBe(3);
    const one = ['steady', 'inject', 'recover', 'verify'];
    expect(phases(report)).toEqual([
      'bring-up',
      ...one,
      'heal',
      'settle',
      ...one,
      'heal',
      'settle',
      ...one,
      'teardown',
    ]);
    // Each iteration's probe and fault are gone before the stack is healed for the next one.
    const iteration = ['start probe api', 'inject outage', 'revert outage', 'stop probe api'];
    expect(world.trail).toEqual([
      ...ACQUIRED_BEFORE_ITERATIONS,
      ...iteration,
      'wait healthy',
      ...iteration,
      'wait healthy',
      ...iteration,
      ...RELEASED_AFTER_ITERATIONS,
    ]);
  });

  it('keeps a scenario’s own iterations list whatever --repeat says', async () => {
    const report = await run(fakeWorld(), fakeScenario({ iterations: [['outage'], ['outage']] }), {
      repeat: 5,
    });
    expect(report.repeat).toBe(2);
    expect(report.iterations.map((i) => i.name)).toEqual(['it-0', 'it-1']);
  });
});
