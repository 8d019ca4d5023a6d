// Compose environments against the real engine and Compose CLI: the example's compose file is
// brought up as a project of the run's own, a fault acts on a compose service, and nothing of the
// project (container, network, volume) outlives the run, also after a SIGKILL (the sweep's job).
// The compose file itself is left as it was. Skipped, with the reason printed, only without an
// engine or Compose.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../run-scenario.js';
import { loadScenario, PROJECT_ROOT } from '../../scenario/load.js';
import { type RunningCli, startCli } from '../../testing/cli.js';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../../testing/containers.js';
import { waitFor } from '../../testing/wait.js';
import { sweepDeadContainerRuns } from '../containers/sweep.js';
import { cleanupStaleRuns } from '../local/run-registry.js';
import { detectComposeCli } from './compose-cli.js';
import { COMPOSE_LABELS, projectName } from './compose-environment.js';

const IMAGES = ['chaos-harness/node:latest', 'chaos-harness/postgres:latest', 'chaos-harness/redis:latest'];
const engine = await engineForTests('compose environment tests', IMAGES);
const cli = engine.docker
  ? await detectComposeCli().catch((err: Error) => {
      console.log(`compose environment tests skipped: ${err.message}`);
      return undefined;
    })
  : undefined;
const docker = engine.docker as Docker;
const EXAMPLE = join(PROJECT_ROOT, 'examples/compose');
const composeFileHash = () =>
  createHash('sha256')
    .update(readFileSync(join(EXAMPLE, 'docker-compose.yml')))
    .digest('hex');

/** What carries the run's label, and what Compose's own project label still finds. */
async function leftovers(runId: string) {
  const project = JSON.stringify({ label: [`${COMPOSE_LABELS.project}=${projectName(runId)}`] });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters: project }),
    docker.listNetworks({ filters: project }),
    docker.listVolumes({ filters: project }),
  ]);
  return {
    labelled: await runLeftovers(docker, runId),
    project: containers.length + networks.length + (volumes.Volumes ?? []).length,
  };
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'compose-test-'));
  process.env.CHAOS_HARNESS_STATE_DIR = join(root, 'state');
});
afterAll(() => {
  delete process.env.CHAOS_HARNESS_STATE_DIR;
  rmSync(root, { recursive: true, force: true });
});

function harness(runId: string, scenario: string): RunningCli {
  return startCli(['run', scenario, '--out', mkdtempSync(join(root, 'out-'))], {
    CHAOS_HARNESS_RUN_ID: runId,
  });
}

describe.skipIf(cli === undefined)('a compose environment', () => {
  it('brings the compose project up, kills its database, and leaves no container, network or volume', async () => {
    const before = composeFileHash();
    const runId = 'compose-test-kill';
    const report = await runScenario({
      scenario: loadScenario(join(EXAMPLE, 'scenarios/kill-database.yaml')),
      provider: 'containers',
      outDir: mkdtempSync(join(root, 'out-')),
      runId,
    });
    expect(report.error).toBeUndefined();
    expect(report.verdict).toBe('pass');
    const info = report.environment.info.compose as Record<string, unknown>;
    expect(info.project).toBe('chaos-compose-test-kill');
    expect(String(info.cli)).toMatch(/Compose v[12]/);
    const it0 = report.iterations[0];
    expect(String(it0?.faults[0]?.details.id)).toMatch(/^container [0-9a-f]{12}$/);
    expect(it0?.rtoMs).toBeGreaterThan(0);
    expect(await leftovers(runId)).toEqual({ labelled: NOTHING_LEFT, project: 0 });
    expect(composeFileHash()).toBe(before);
  });

  it('partitions a compose service from the others while the host still reaches it', async () => {
    const runId = 'compose-test-partition';
    const report = await runScenario({
      scenario: loadScenario(join(EXAMPLE, 'scenarios/partition-app-from-redis.yaml')),
      provider: 'containers',
      outDir: mkdtempSync(join(root, 'out-')),
      runId,
    });
    expect(report.error).toBeUndefined();
    expect(report.verdict).toBe('pass');
    const details = report.iterations[0]?.faults[0]?.details ?? {};
    expect(String(details.method)).toMatch(/iptables DROP/);
    expect(String(details.network)).toBe('chaos-compose-test-partition_default');
    expect(details.healed).toBe('rules removed');
    expect(await leftovers(runId)).toEqual({ labelled: NOTHING_LEFT, project: 0 });
  });

  it('removes the project of a SIGKILLed run, its named volume too, in the next run', async () => {
    const runId = 'compose-test-sigkill';
    const run = harness(runId, join(PROJECT_ROOT, 'test/fixtures/scenarios/compose-long-pause.yaml'));
    await waitFor('the fault to be injected', () => /inject: paused/.test(run.output()), 120_000, 200);
    run.child.kill('SIGKILL');
    await run.exited;
    const left = await leftovers(runId);
    expect(left.labelled.containers).toHaveLength(3);
    expect(left.labelled.volumes).toEqual([`${projectName(runId)}_pgdata`]);
    const said: string[] = [];
    expect((await cleanupStaleRuns()).map((c) => c.runId)).toEqual([runId]);
    const swept = await sweepDeadContainerRuns((m) => said.push(m));
    expect(swept).toContainEqual({ runId, containers: 3, networks: 2, volumes: 1 });
    expect(said.join('\n')).toMatch(
      new RegExp(
        `cleaned up after interrupted run ${runId}: removed 3 container\\(s\\), 2 network\\(s\\) and 1 volume\\(s\\)`,
      ),
    );
    expect(await leftovers(runId)).toEqual({ labelled: NOTHING_LEFT, project: 0 });
  });
});
