// Images built for YAML services (`build:`), against the real engine: built once, reused while the
// inputs are unchanged, rebuilt when they change, a failing build named with its output; and a
// scenario whose service runs only in the image the harness built. Every image made here is removed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../run-scenario.js';
import { loadScenario, PROJECT_ROOT } from '../../scenario/load.js';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../../testing/containers.js';
import { buildServiceImage } from './build.js';

const NODE_IMAGE = 'chaos-harness/node:latest';
const { docker } = await engineForTests('image build tests', [NODE_IMAGE]);

let root: string;
const made = new Set<string>();
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'build-test-'));
});
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  for (const image of made)
    await docker
      ?.getImage(image)
      .remove({ force: true })
      .catch(() => {});
});

describe.skipIf(docker === undefined)('images built for YAML services', () => {
  it('builds once, reuses the image while the inputs are unchanged, and rebuilds when they change', async () => {
    const d = docker as Docker;
    const said: string[] = [];
    const opts = { what: 'services.api.build', log: (m: string) => said.push(m) };
    const dir = join(root, 'ok');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'Dockerfile'),
      `FROM ${NODE_IMAGE}\nARG MARK=unset\nLABEL mark=$MARK\nCOPY a.txt /a.txt\n`,
    );
    writeFileSync(join(dir, 'a.txt'), 'one');
    const spec = { context: dir, dockerfile: 'Dockerfile', args: { MARK: 'from-args' } };

    const first = await buildServiceImage(d, 'api', spec, opts);
    made.add(first.image);
    expect(first.built).toBe(true);
    expect(first.image).toMatch(/^chaos-harness-build\/api:[0-9a-f]{12}$/);
    const labels = (await d.getImage(first.image).inspect()).Config.Labels;
    expect(labels).toMatchObject({ mark: 'from-args', 'chaos-harness': '1', 'chaos-harness.build': 'api' });

    const again = await buildServiceImage(d, 'api', spec, opts);
    expect(again).toEqual({ ...first, built: false });
    expect(said).toContain(`image ${first.image} for api is up to date (inputs unchanged)`);

    writeFileSync(join(dir, 'a.txt'), 'two');
    const changed = await buildServiceImage(d, 'api', spec, opts);
    made.add(changed.image);
    expect(changed.built).toBe(true);
    expect(changed.image).not.toBe(first.image);
  });

  it('names the field, the context and the failing step when the build fails', async () => {
    const dir = join(root, 'broken');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${NODE_IMAGE}\nRUN echo about to fail && exit 3\n`);
    const err = await buildServiceImage(
      docker as Docker,
      'api',
      { context: dir, dockerfile: 'Dockerfile', args: {} },
      { what: 'environment.yaml: services.api.build', log: () => {} },
    ).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('IMAGE_BUILD_FAILED');
    const message = (err as Error).message;
    expect(message).toContain(`environment.yaml: services.api.build: docker build of ${dir} failed:`);
    expect(message).toMatch(/returned a non-zero code: 3/);
    expect(message).toContain('about to fail');
  });

  it('runs a scenario whose service exists only in the image the harness built for it', async () => {
    const runId = 'containers-test-built-service';
    const report = await runScenario({
      scenario: loadScenario(join(PROJECT_ROOT, 'test/fixtures/scenarios/built-service-crash.yaml')),
      outDir: mkdtempSync(join(root, 'out-')),
      runId,
    });
    const images = Object.keys(report.environment.info.images as object);
    for (const image of images) made.add(image);
    expect(report.environment.provider).toBe('containers');
    expect(images).toHaveLength(1);
    expect(images[0]).toMatch(/^chaos-harness-build\/api:[0-9a-f]{12}$/);
    expect(report.verdict).toBe('pass');
    expect(String(report.iterations[0]?.faults[0]?.details.id)).toMatch(/^container [0-9a-f]{12}$/);
    expect(await runLeftovers(docker as Docker, runId)).toEqual(NOTHING_LEFT);
  });
});
