import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markedProcesses } from '../providers/local/run-registry.js';
import { loadScenario, PROJECT_ROOT } from '../scenario/load.js';
import { runScenario } from './runner.js';

const fixture = (name: string) => join(PROJECT_ROOT, 'test/fixtures/scenarios', `${name}.yaml`);

// Report dirs and the run records live in one temp dir, removed at the end.
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'runner-test-'));
  process.env.CHAOS_HARNESS_STATE_DIR = join(root, 'state');
});
afterAll(() => {
  delete process.env.CHAOS_HARNESS_STATE_DIR;
  rmSync(root, { recursive: true, force: true });
});

async function run(ref: string, runId: string) {
  const out = mkdtempSync(join(root, 'out-'));
  const report = await runScenario({ scenario: loadScenario(ref), outDir: out, runId });
  // Nothing the run started may outlive it.
  expect(markedProcesses(runId)).toEqual([]);
  return report;
}

describe('runScenario', () => {
  it('measures an RTO between the restart delay and delay + readiness + 2 probe intervals', async () => {
    const report = await run('http-service-crash', 'runner-test-crash');
    expect(report.verdict).toBe('pass');
    expect(report.exitCode).toBe(0);
    const it0 = report.iterations[0]!;
    const restartDelayMs = 2000;
    const readyMs = report.environment.info.bringUpMs as number;
    expect(it0.impact).toBe(true);
    expect(it0.rtoMs).toBeGreaterThanOrEqual(restartDelayMs);
    expect(it0.rtoMs).toBeLessThanOrEqual(restartDelayMs + readyMs + 2 * report.probeIntervalMs);
    expect(report.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['ready', 'inject', 'service-restart', 'recovered', 'done']),
    );
  });

  it('ends INCONCLUSIVE, never PASS, when the fault had no observable effect', async () => {
    const report = await run('http-service-ignored-signal', 'runner-test-ignored');
    expect(report.verdict).toBe('inconclusive');
    expect(report.exitCode).toBe(1);
    expect(report.iterations[0]?.impact).toBe(false);
    expect(report.targets.find((t) => t.metric === 'rto')?.verdict).toBe('inconclusive');
  });

  it('fails the RTO target when the service never comes back within the recovery timeout', async () => {
    const report = await run(fixture('never-recovers'), 'runner-test-never');
    expect(report.verdict).toBe('fail');
    expect(report.exitCode).toBe(1);
    expect(report.iterations[0]?.rtoMs).toBeNull();
    expect(report.targets[0]).toMatchObject({ metric: 'rto', verdict: 'fail', measured: null });
  });

  it('reports ERROR and injects nothing when the steady state is not reached', async () => {
    const report = await run(fixture('steady-state-fails'), 'runner-test-steady');
    expect(report.verdict).toBe('error');
    expect(report.exitCode).toBe(2);
    expect(report.error?.message).toMatch(/steady state not reached/);
    expect(report.events.some((e) => e.type === 'inject')).toBe(false);
  });

  it('computes MTTR over repeated iterations', async () => {
    const report = await run(fixture('pause-repeat'), 'runner-test-repeat');
    expect(report.iterations).toHaveLength(2);
    for (const it of report.iterations) {
      // Paused for 1 s: the service cannot answer before the pause ends.
      expect(it.rtoMs).toBeGreaterThanOrEqual(900);
      expect(it.rtoMs).toBeLessThan(3000);
    }
    expect(report.mttr?.n).toBe(2);
    expect(existsSync(report.runDir)).toBe(true);
  });
});
