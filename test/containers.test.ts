// The containers provider against the real engine that setup-containers.sh starts: a scenario
// runs in containers with the same file, and nothing with the run's label outlives it, whether
// the run ends, is interrupted (SIGINT, SIGTERM) or is SIGKILLed (then the next run removes it,
// also the containers a deploy pipeline started behind the harness's back).
// Skipped, with the reason printed, only where no engine answers.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepDeadContainerRuns } from '../src/providers/containers/sweep.js';
import { cleanupStaleRuns } from '../src/providers/local/run-registry.js';
import { requireProvider } from '../src/providers/start-environment.js';
import { runScenario } from '../src/run-scenario.js';
import { loadScenario, PROJECT_ROOT } from '../src/scenario/load.js';
import { type RunningCli, startCli } from '../src/testing/cli.js';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../src/testing/containers.js';
import { waitFor } from '../src/testing/wait.js';

const { docker } = await engineForTests('containers provider tests');

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'containers-test-'));
  process.env.CHAOS_HARNESS_STATE_DIR = join(root, 'state');
});
afterAll(() => {
  delete process.env.CHAOS_HARNESS_STATE_DIR;
  rmSync(root, { recursive: true, force: true });
});

const leftovers = (runId: string) => runLeftovers(docker as Docker, runId);

function cli(
  runId: string,
  out: string,
  scenario = join(PROJECT_ROOT, 'test/fixtures/scenarios/long-pause.yaml'),
): RunningCli {
  return startCli(['run', scenario, '--provider', 'containers', '--out', out], {
    CHAOS_HARNESS_RUN_ID: runId,
  });
}

describe.skipIf(docker === undefined)('the containers provider', () => {
  it('runs http-service-crash in a container with the same scenario file, and removes it afterwards', async () => {
    const runId = 'containers-test-crash';
    const report = await runScenario({
      scenario: loadScenario('http-service-crash'),
      provider: 'containers',
      outDir: mkdtempSync(join(root, 'out-')),
      runId,
    });
    expect(report.verdict).toBe('pass');
    expect(report.environment.provider).toBe('containers');
    expect(Object.keys(report.environment.info.images as object)).toEqual(['chaos-harness/node:latest']);
    const it0 = report.iterations[0];
    // Restarted by the same restart policy (2 s delay) as a local process, then ready again.
    expect(it0?.rtoMs).toBeGreaterThanOrEqual(2000);
    expect(it0?.rtoMs).toBeLessThan(10_000);
    expect(String(it0?.faults[0]?.details.id)).toMatch(/^container [0-9a-f]{12}$/);
    expect(readFileSync(join(report.runDir, 'api.log'), 'utf8')).toMatch(/listening on 0\.0\.0\.0:\d+/);
    expect(await leftovers(runId)).toEqual(NOTHING_LEFT);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'leaves no container or network of the run after %s mid-fault',
    async (sig) => {
      const runId = `containers-test-${sig.toLowerCase()}`;
      const out = mkdtempSync(join(root, 'out-'));
      const run = cli(runId, out);
      await waitFor('the fault to be injected', () => /inject: paused api/.test(run.output()), 60_000);
      // The container is frozen right now: teardown must still remove it.
      expect((await leftovers(runId)).containers).toHaveLength(1);
      run.child.kill(sig);
      expect(await run.exited).toBe(2);
      expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).error.code).toBe('INTERRUPTED');
      expect(await leftovers(runId)).toEqual(NOTHING_LEFT);
    },
  );

  it('removes what a SIGKILLed run left, in the next run, and says so', async () => {
    const runId = 'containers-test-sigkill';
    const run = cli(runId, mkdtempSync(join(root, 'out-')));
    await waitFor('the fault to be injected', () => /inject: paused api/.test(run.output()), 60_000);
    run.child.kill('SIGKILL');
    await run.exited;
    const left = await leftovers(runId);
    expect(left.containers).toHaveLength(1);
    expect(left.networks).toEqual([`chaos-harness-${runId}`]);
    const said: string[] = [];
    // Only this run: another test file's killed run is that test's to sweep.
    const swept = await sweepDeadContainerRuns(
      (m) => said.push(m),
      (id) => id === runId,
    );
    expect(swept).toContainEqual({ runId, containers: 1, networks: 1, volumes: 0 });
    expect(said).toContainEqual(
      `cleaned up after interrupted run ${runId}: removed 1 container(s) and 1 network(s)`,
    );
    expect(await leftovers(runId)).toEqual(NOTHING_LEFT);
    // The local part of the record (its work directory) goes too.
    expect((await cleanupStaleRuns()).map((c) => c.runId)).toEqual([runId]);
  });

  it('refuses, before starting anything, an environment module that declares no containers variant', async () => {
    // Every built-in environment has one now; a module of one's own that lists no `providers` is local only.
    const dir = join(PROJECT_ROOT, 'test/fixtures/environments/local-only');
    await expect(requireProvider(dir, 'local-only', 'containers')).rejects.toThrow(
      'environment "local-only" cannot run on the containers provider yet (it supports: local)',
    );
  });

  it('refuses a YAML environment whose service names no image, before any container starts', async () => {
    // test/fixtures/environments/no-restart declares no image for its service.
    const runId = 'containers-test-refused';
    const report = await runScenario({
      scenario: loadScenario(join(PROJECT_ROOT, 'test/fixtures/scenarios/never-recovers.yaml')),
      provider: 'containers',
      outDir: mkdtempSync(join(root, 'out-')),
      runId,
    });
    expect(report.verdict).toBe('error');
    expect(report.error?.message).toMatch(
      /services\.api\.image: the containers provider needs an image to run this service in/,
    );
    expect(report.iterations).toEqual([]);
    expect(await leftovers(runId)).toEqual(NOTHING_LEFT);
  });

  it("removes the slot container a SIGKILLed run's deploy pipeline started, in the next run", async () => {
    const runId = 'containers-test-sigkill-deploy';
    // Without rollback the pipeline leaves its green container live, whether or not it outlives
    // the harness, so what is left does not depend on how far it got.
    const run = cli(runId, mkdtempSync(join(root, 'out-')), 'deploy-failure-no-rollback');
    await waitFor('the pipeline to switch to its new slot', () => /switch ok/.test(run.output()), 90_000);
    run.child.kill('SIGKILL');
    await run.exited;
    const left = await leftovers(runId);
    // HAProxy, blue (started by the environment) and green (started by the pipeline).
    expect(left.containers).toHaveLength(3);
    expect(left.containers.filter((n) => /-green-\d+$/.test(n))).toHaveLength(1);
    // As the next run does it: the local sweep (the pipeline process), then the containers'.
    expect((await cleanupStaleRuns()).map((c) => c.runId)).toEqual([runId]);
    const swept = await sweepDeadContainerRuns(undefined, (id) => id === runId);
    expect(swept).toContainEqual({ runId, containers: 3, networks: 1, volumes: 0 });
    expect(await leftovers(runId)).toEqual(NOTHING_LEFT);
  });
});
