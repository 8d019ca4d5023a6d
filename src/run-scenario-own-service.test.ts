// A service of one's own end to end through runScenario, with no code: the KV fixture, http-write
// reading every acknowledged write back, and the command fault, probe and recovery action; nothing
// they started outlives the run, interrupted or not.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markedProcesses } from './providers/local/run-registry.js';
import { writeReports } from './report/index.js';
import { runScenario } from './run-scenario.js';
import { loadScenario, PROJECT_ROOT } from './scenario/load.js';

const fixture = (name: string) => join(PROJECT_ROOT, 'test/fixtures/scenarios', `${name}.yaml`);

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'own-service-test-'));
  process.env.CHAOS_HARNESS_STATE_DIR = join(root, 'state');
});
afterAll(() => {
  delete process.env.CHAOS_HARNESS_STATE_DIR;
  rmSync(root, { recursive: true, force: true });
});

async function run(name: string, runId: string, signal?: AbortSignal) {
  const outDir = mkdtempSync(join(root, 'out-'));
  const report = await runScenario({ scenario: loadScenario(fixture(name)), outDir, runId, signal });
  expect(markedProcesses(runId)).toEqual([]);
  // Ended by the kinds themselves, not found afterwards by the provider's leak check.
  expect(report.events.filter((e) => e.type === 'leak')).toEqual([]);
  await writeReports(report, report.runDir);
  const json = JSON.parse(readFileSync(join(report.runDir, 'report.json'), 'utf8'));
  return { report, json };
}

describe('your own service, no TypeScript', () => {
  it('fails lost-writes on a service that acknowledges before persisting, listing the lost ids', async () => {
    const { report, json } = await run('kv-acks-before-persisting', 'own-service-lost');
    expect(report.verdict).toBe('fail');
    expect(report.expectation).toMatchObject({ met: true });
    expect(report.exitCode).toBe(0);
    const lost = report.targets.find((t) => t.metric === 'lost-writes');
    expect(lost?.verdict).toBe('fail');
    const rpo = json.iterations[0].probes[0].rpo;
    // Every write acknowledged before the SIGKILL was still only in memory.
    expect(rpo.lost).toBeGreaterThan(20);
    expect(rpo.lost).toBe(lost?.measured);
    // Listed by id, oldest first (from the first acknowledged write: one that timed out at start-up
    // is not acknowledged, so the oldest lost id is not always -0).
    const ids = rpo.lostSample.map((k: { key: string }) => k.key);
    for (const id of ids) expect(id).toMatch(/^writes-[0-9a-f]{6}-\d+$/);
    const seqs = ids.map((id: string) => Number(id.split('-').at(-1)));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[0]).toBeLessThan(5);
    expect(rpo.lostSample.every((l: { ackMs: number }) => l.ackMs < json.iterations[0].tInjectMs)).toBe(true);
    expect(report.targets.find((t) => t.metric === 'lost-writes-after-fault')?.verdict).toBe('pass');
  });

  it('runs a fault, a check and a runbook of commands, the runbook’s time as the recovery time', async () => {
    const { report, json } = await run('kv-command-runbook', 'own-service-runbook');
    expect(report.error).toBeUndefined();
    expect(report.verdict).toBe('pass');
    const it0 = json.iterations[0];
    expect(it0.faults[0].details.run).toMatchObject({
      exit: 'exit 0',
      tail: 'kv read-only: HTTP 200 read-only',
    });
    expect(it0.faults[0].details.undo).toMatchObject({ exit: 'exit 0' });
    expect(it0.recovery.steps).toEqual([
      expect.objectContaining({ name: 'runbook', detail: 'exit 0: kv read-write: HTTP 200 read-write' }),
    ]);
    expect(readFileSync(it0.recovery.details.output, 'utf8')).toContain('read-write');
    expect(it0.probes.find((p: { probe: string }) => p.probe === 'health').phases.steady.ok).toBeGreaterThan(
      2,
    );
    expect(existsSync(join(report.runDir, 'fault-command-run-1.log'))).toBe(true);
  });

  it('kills a fault command that is still running when the run is interrupted', async () => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error('SIGTERM')), 1500);
    const { report } = await run('kv-command-hangs', 'own-service-interrupted', ac.signal);
    clearTimeout(timer);
    expect(report.verdict).toBe('error');
    expect(report.error?.message).toMatch(/interrupted/);
    expect(report.events.some((e) => e.type === 'phase' && e.message === 'injecting command')).toBe(true);
  });
});
