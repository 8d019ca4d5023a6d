// app-bluegreen on the containers provider, against the real engine and the chaos-harness/haproxy
// and chaos-harness/node images: a rollback and a deploy by the real pipeline (deploy.mjs, which
// starts slot containers with the docker CLI) under HTTP load, a kill and restart of a slot, and
// nothing with the run's label left. Skips (saying why) only where no engine answers or an image
// was never built.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { deploy, deployParams } from '../../src/injectors/deploy.js';
import { httpLoad, httpLoadParams } from '../../src/probes/http-load.js';
import { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import { DEPLOY } from '../../src/stacks/deploy.js';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../../src/testing/containers.js';
import { testContext } from '../../src/testing/test-context.js';
import { HAPROXY_IMAGE, NODE_IMAGE } from './containers.js';
import environment, { appBlueGreenOptions } from './environment.js';
import { ENV_DIR } from './test-support.js';

const { docker, skip } = await engineForTests('app-bluegreen containers test', [HAPROXY_IMAGE, NODE_IMAGE]);

const FAST = ['--health-timeout-ms', '5000', '--watch-ms', '2000'];
const CONTAINER_ID = /^container [0-9a-f]{12}$/;

async function slotOf(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return ((await res.json()) as { slot: string }).slot;
}

describe.skipIf(skip !== undefined)('app-bluegreen on the containers provider', () => {
  it('rolls a bad version back and ships a good one with zero failed requests, restarts a killed slot, leaves nothing', async () => {
    using ctx = testContext('app-bluegreen', ENV_DIR);
    ctx.provider = 'containers';
    {
      await using runtime = await ContainerRuntime.open(ctx.runId);
      ctx.containers = runtime;
      await using env = await environment.start(ctx, appBlueGreenOptions.parse({}));
      expect(env.info).toMatchObject({ provider: 'containers', network: runtime.network });
      expect(env.info.versions).toMatchObject({ haproxy: expect.stringMatching(/^HAProxy version 2\./) });
      expect(String(env.info.haproxyVersion)).toMatch(/^2\./);
      const [blue, green, proxy] = ['blue', 'green', 'proxy'].map((n) => env.services.get(n));
      expect(blue?.id()).toMatch(CONTAINER_ID);
      expect(proxy?.id()).toMatch(CONTAINER_ID);
      expect(green?.running()).toBe(false);
      const front = `http://127.0.0.1:${proxy?.endpoints.http?.port}/api/orders`;
      expect(await slotOf(front)).toBe('blue');
      const ext = env.extensions.get(DEPLOY)!;
      expect(await ext.liveVersion()).toEqual({ slot: 'blue', version: 'good' });

      const run = ctx.runContext(env);
      const load = { name: 'api', intervalMs: 20, timeoutMs: 1000, target: { service: 'proxy' } };
      const probe = await httpLoad.start(run, httpLoadParams.parse({ path: '/api/orders' }), load);
      await sleep(1000);

      // 1. A version that fails live traffic: switched to, caught by the watch, rolled back.
      const bad = await deploy.inject(
        run,
        deployParams.parse({ version: 'errors-after-switch', extraArgs: FAST }),
        {},
      );
      await bad.ended;
      expect(bad.details.outcome).toBe('rolled-back');
      expect(bad.details.pid).toBeUndefined();
      const steps = (bad.details.steps as { name: string; status: string; detail: string }[]).map(
        (s) => `${s.name} ${s.status}`,
      );
      expect(steps).toEqual(expect.arrayContaining(['lb-address ok', 'switch ok', 'switch-back ok']));
      expect(bad.details.rollbackMs as number).toBeLessThan(120_000);
      await bad[Symbol.asyncDispose]();
      expect(await ext.liveVersion()).toEqual({ slot: 'blue', version: 'good' });
      expect(green?.running()).toBe(false);
      // The pipeline removed the bad version's container: proxy and blue are left.
      expect((await runLeftovers(docker!, ctx.runId)).containers).toHaveLength(2);

      // 2. A good version: live on green, not one request failed, blue kept idle.
      await sleep(500);
      const tGood = ctx.clock.now();
      const good = await deploy.inject(run, deployParams.parse({ version: 'good', extraArgs: FAST }), {});
      await good.ended;
      expect(good.details.outcome).toBe('deployed');
      await good[Symbol.asyncDispose]();
      await sleep(500);
      await probe.stop();
      const duringGood = probe.ops().filter((o) => o.startMs >= tGood);
      expect(duringGood.length).toBeGreaterThan(100);
      expect(duringGood.filter((o) => o.outcome !== 'ok')).toEqual([]);
      expect(await ext.liveVersion()).toEqual({ slot: 'green', version: 'good' });
      expect(await green?.role()).toBe('live');
      expect(await blue?.role()).toBe('idle');
      expect(green?.id()).toMatch(CONTAINER_ID);
      expect(await slotOf(front)).toBe('green');
      const names = (await runLeftovers(docker!, ctx.runId)).containers;
      expect(names).toHaveLength(3);
      expect(names.filter((n) => /-green-\d+$/.test(n))).toHaveLength(1);

      // 3. The live slot's container killed and started again: HAProxy follows its address.
      await green?.kill('SIGKILL');
      expect(green?.running()).toBe(false);
      expect(await green?.role()).toBe('live');
      await green?.start();
      expect(green?.running()).toBe(true);
      expect(await slotOf(front)).toBe('green');
    }
    expect(await runLeftovers(docker!, ctx.runId)).toEqual(NOTHING_LEFT);
  }, 90_000);
});
