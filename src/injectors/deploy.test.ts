import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { haproxyProcesses, startBlueGreen, sweep } from '../../environments/app-bluegreen/test-support.js';
import { httpLoad, httpLoadParams } from '../probes/http-load.js';
import { DEPLOY } from '../stacks/deploy.js';
import { deploy, deployParams, type RecordedStep } from './deploy.js';

const FAST = ['--health-timeout-ms', '2000', '--watch-ms', '2000'];
const load = { name: 'api', intervalMs: 20, timeoutMs: 1000, target: { service: 'proxy' } };

describe('deploy injector under HTTP load (app-bluegreen)', () => {
  it('records steps, the rollback time and the failed requests of a bad deploy; a good one has none', async () => {
    const stack = await startBlueGreen();
    try {
      const { ctx } = stack;
      const probe = await httpLoad.start(ctx, httpLoadParams.parse({ path: '/api/orders' }), load);
      await sleep(1000);

      const tBad = ctx.clock.now();
      const bad = await deploy.inject(
        ctx,
        deployParams.parse({ version: 'errors-after-switch', extraArgs: FAST }),
        {},
      );
      await bad.ended;
      const d = bad.details;
      const steps = d.steps as RecordedStep[];
      expect(d.outcome).toBe('rolled-back');
      expect(d.exitCode).toBe(1);
      expect(steps.map((s) => `${s.name} ${s.status}`)).toContain('switch-back ok');
      const switched = d.switchedAtMs as number;
      const restored = d.trafficRestoredMs as number;
      expect(switched).toBeGreaterThan(tBad);
      expect(restored).toBeGreaterThan(switched);
      expect(d.rollbackCompletedMs as number).toBeGreaterThanOrEqual(restored);
      expect(d.rollbackMs as number).toBeLessThan(120_000);
      expect((d.recoverySteps as unknown[]).length).toBe(2);
      await bad[Symbol.asyncDispose]();

      await sleep(1000);
      const failedBad = probe.ops().filter((o) => o.outcome !== 'ok' && o.startMs >= tBad);
      expect(failedBad.length).toBeGreaterThan(0);
      // Every failure falls in the window traffic was on the bad version.
      for (const o of failedBad) {
        expect(o.startMs).toBeGreaterThanOrEqual(switched - 50);
        expect(o.startMs).toBeLessThanOrEqual(restored + 50);
      }

      const tGood = ctx.clock.now();
      const good = await deploy.inject(ctx, deployParams.parse({ version: 'good', extraArgs: FAST }), {});
      await good.ended;
      expect(good.details.outcome).toBe('deployed');
      expect(good.details.rollbackCompletedMs).toBeNull();
      await sleep(1000);
      await probe.stop();
      await good[Symbol.asyncDispose]();
      const duringGood = probe.ops().filter((o) => o.startMs >= tGood);
      expect(duringGood.length).toBeGreaterThan(100);
      expect(duringGood.filter((o) => o.outcome !== 'ok')).toEqual([]);
      expect(stack.events.some((e) => e.type === 'deploy-step')).toBe(true);
    } finally {
      await stack[Symbol.asyncDispose]();
      expect(stack.leftovers()).toEqual([]);
      expect(haproxyProcesses(stack.workDir)).toEqual([]);
      await sweep(stack.runId);
    }
  });

  it('with rollback disabled, disposal moves traffic back to the previous version', async () => {
    const stack = await startBlueGreen();
    try {
      const ext = stack.env.extensions.get(DEPLOY)!;
      const fault = await deploy.inject(
        stack.ctx,
        deployParams.parse({ version: 'slow', extraArgs: [...FAST, '--no-rollback'] }),
        {},
      );
      await fault.ended;
      expect(fault.details.outcome).toBe('failed');
      expect(await ext.liveVersion()).toEqual({ slot: 'green', version: 'slow' });
      await fault[Symbol.asyncDispose]();
      expect(await ext.liveVersion()).toEqual({ slot: 'blue', version: 'good' });
      expect(fault.details.restoredByHarnessMs).toBeTypeOf('number');
    } finally {
      await stack[Symbol.asyncDispose]();
      expect(stack.leftovers()).toEqual([]);
      await sweep(stack.runId);
    }
  });

  it('fails the injection when the pipeline cannot start', async () => {
    const stack = await startBlueGreen();
    try {
      const params = deployParams.parse({ version: 'good', command: ['/nonexistent/deploy'] });
      await expect(deploy.inject(stack.ctx, params, {})).rejects.toThrow(/deploy pipeline for good/);
    } finally {
      await stack[Symbol.asyncDispose]();
      await sweep(stack.runId);
    }
  });
});
