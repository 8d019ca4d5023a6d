// Compose environments against the real engine and Compose CLI: the example's compose file is
// brought up as a project of the run's own, a fault acts on a compose service, and nothing of the
// project (container, network, volume) outlives the run, also after a SIGKILL (the sweep's job).
// The compose file itself is left as it was. Two runs of one scenario at once keep apart; a latency
// fault reaches the app's own database connections when the overlay sends them through the proxy;
// kept volumes stay. Skipped, with the reason printed, only without an engine or Compose.

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { RunReport } from '../../core/report-model.js';
import { runScenario } from '../../run-scenario.js';
import { loadScenario, PROJECT_ROOT } from '../../scenario/load.js';
import { type RunningCli, startCli } from '../../testing/cli.js';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../../testing/containers.js';
import { waitFor } from '../../testing/wait.js';
import { sweepDeadContainerRuns } from '../containers/sweep.js';
import { cleanupStaleRuns } from '../local/run-registry.js';
import { detectComposeCli } from './compose-cli.js';
import { COMPOSE_LABELS, projectName } from './compose-environment.js';

// The example builds db and redis from its Dockerfiles on the base image setup made, app on the
// node image; a partition runs its iptables from the nettools image.
const IMAGES = ['chaos-harness/node:latest', 'chaos-harness/nettools:latest'];
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

function harness(runId: string, scenario: string, outDir = mkdtempSync(join(root, 'out-'))): RunningCli {
  return startCli(['run', scenario, '--out', outDir], { CHAOS_HARNESS_RUN_ID: runId });
}

const readReport = (dir: string): RunReport => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));

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
    // Only this run: another test file's killed run is that test's to sweep.
    const swept = await sweepDeadContainerRuns(
      (m) => said.push(m),
      (id) => id === runId,
    );
    expect(swept).toContainEqual({ runId, containers: 3, networks: 2, volumes: 1 });
    expect(said.join('\n')).toMatch(
      new RegExp(
        `cleaned up after interrupted run ${runId}: removed 3 container\\(s\\), 2 network\\(s\\) and 1 volume\\(s\\)`,
      ),
    );
    expect(await leftovers(runId)).toEqual({ labelled: NOTHING_LEFT, project: 0 });
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'on %s mid-fault brings the project down itself: exit 2, nothing of the run left, no sweep needed',
    async (signal) => {
      const runId = `compose-test-${signal.toLowerCase()}`;
      const out = mkdtempSync(join(root, 'out-'));
      const run = harness(runId, join(PROJECT_ROOT, 'test/fixtures/scenarios/compose-long-pause.yaml'), out);
      await waitFor('the fault to be injected', () => /inject: paused/.test(run.output()), 120_000, 200);
      expect((await leftovers(runId)).labelled.containers).toHaveLength(3);
      run.child.kill(signal);
      expect(await run.exited).toBe(2);
      expect(readReport(out).error?.code).toBe('INTERRUPTED');
      expect(await leftovers(runId)).toEqual({ labelled: NOTHING_LEFT, project: 0 });
    },
  );

  it('keeps two runs of the same scenario at once apart: own projects, both verdicts right', async () => {
    const scenario = join(EXAMPLE, 'scenarios/kill-database.yaml');
    const outs = [mkdtempSync(join(root, 'out-')), mkdtempSync(join(root, 'out-'))];
    const runs = ['compose-test-twin-a', 'compose-test-twin-b'].map((id, i) =>
      harness(id, scenario, outs[i] as string),
    );
    const exited = await Promise.all(runs.map((r) => r.exited));
    const reports = outs.map(readReport);
    // The runs' errors first: a failure then says why (one ended with exit 2 once in a full CI run).
    expect(reports.map((r) => r.error)).toEqual([undefined, undefined]);
    expect(exited).toEqual([0, 0]);
    expect(reports.map((r) => r.verdict)).toEqual(['pass', 'pass']);
    expect(reports.map((r) => (r.environment.info.compose as { project: string }).project)).toEqual([
      'chaos-compose-test-twin-a',
      'chaos-compose-test-twin-b',
    ]);
    // Each killed its own database: the kill named a container of its own project.
    const killed = reports.map((r) => String(r.iterations[0]?.faults[0]?.details.id));
    expect(new Set(killed).size).toBe(2);
    for (const id of ['compose-test-twin-a', 'compose-test-twin-b'])
      expect(await leftovers(id)).toEqual({ labelled: NOTHING_LEFT, project: 0 });
  });

  it("slows the app's own database connections when the overlay sends them through the proxy", async () => {
    const before = composeFileHash();
    const runId = 'compose-test-latency';
    const report = await runScenario({
      scenario: loadScenario(join(EXAMPLE, 'scenarios/latency-to-database.yaml')),
      provider: 'containers',
      outDir: mkdtempSync(join(root, 'out-')),
      runId,
    });
    expect(report.error).toBeUndefined();
    // The app's DATABASE_ADDR became the bridge forwarder's address, in the run's file only.
    const set = report.environment.info.composeEnvironment as Record<string, Record<string, string>>;
    expect(set.app?.DATABASE_ADDR).toMatch(/^\d+\.\d+\.\d+\.\d+:\d+$/);
    const runFile = parseYaml(
      readFileSync(String((report.environment.info.compose as { runFile: string }).runFile), 'utf8'),
    );
    expect(runFile.services.app.environment.DATABASE_ADDR).toBe(set.app?.DATABASE_ADDR);
    expect(composeFileHash()).toBe(before);
    // 50 ms on each of Postgres's two answers to /db: the probe on the app saw them.
    const phases = report.iterations[0]?.probes[0]?.phases;
    expect(phases?.fault.p50Ms).toBeGreaterThan((phases?.recovered.p50Ms ?? 0) + 80);
    expect(phases?.fault.failed).toBe(0);
    expect(report.verdict).toBe('pass');
    expect(await leftovers(runId)).toEqual({ labelled: NOTHING_LEFT, project: 0 });
  });

  it('keeps the named volume with keepVolumes: true, and no sweep removes it', async () => {
    const runId = 'compose-test-keep';
    const volume = `${projectName(runId)}_pgdata`;
    try {
      const report = await runScenario({
        scenario: loadScenario(join(PROJECT_ROOT, 'test/fixtures/scenarios/compose-keep-volumes.yaml')),
        provider: 'containers',
        outDir: mkdtempSync(join(root, 'out-')),
        runId,
      });
      expect(report.verdict).toBe('pass');
      const left = await leftovers(runId);
      expect(left.labelled).toEqual({ containers: [], networks: [], volumes: [volume] });
      expect((await docker.getVolume(volume).inspect()).Labels?.['chaos-harness.keep']).toBe('1');
      await sweepDeadContainerRuns(undefined, (id) => id === runId);
      expect((await leftovers(runId)).labelled.volumes).toEqual([volume]);
    } finally {
      await docker
        .getVolume(volume)
        .remove({ force: true })
        .catch(() => {});
    }
  });
});
