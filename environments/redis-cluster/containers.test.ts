// redis-cluster on the containers provider, against the real engine: 3 + 3 nodes announcing their
// aliases, a cluster client on the host through the natMap, a master kill with RTO per slot range,
// the killed container back as a replica, and nothing left behind.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { computeGroups, groupedRto } from '../../src/core/metrics/groups.js';
import { computeRpo, computeRto } from '../../src/core/metrics.js';
import { redisKillMaster } from '../../src/injectors/redis-kill-master.js';
import { redisClusterWrite } from '../../src/probes/redis-cluster-write.js';
import { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import { redisClusterTopology } from '../../src/stacks/redis-cluster.js';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../../src/testing/containers.js';
import { serviceRoles, waitFor } from '../../src/testing/wait.js';
import { redisCall } from '../redis-sentinel/redis-control.js';
import { parseClusterNodes } from './cluster-view.js';
import redisCluster, { redisClusterOptions } from './environment.js';
import { testContext } from './test-context.js';

const { skip } = await engineForTests('redis-cluster containers test');

describe.skipIf(skip !== undefined)('redis-cluster environment on the containers provider', () => {
  it('comes up as 3 + 3 announcing aliases, fails over after a master kill under a host client, takes the node back, and leaves nothing', async () => {
    using ctx = testContext();
    const rt = await ContainerRuntime.open(ctx.runId);
    ctx.provider = 'containers';
    ctx.containers = rt;
    try {
      await using env = await redisCluster.start(ctx, redisClusterOptions.parse({}));
      expect(env.info.provider).toBe('containers');
      const roles = Object.values(await serviceRoles(env));
      expect(roles.filter((r) => r === 'master')).toHaveLength(3);
      expect(roles.filter((r) => r === 'replica')).toHaveLength(3);
      // Nodes announce their network alias: clients on the host reach it through the natMap.
      const ep = env.services.get('redis-1')?.endpoints.direct ?? { host: '', port: 0 };
      const lines = parseClusterNodes(String(await redisCall(ep, ['CLUSTER', 'NODES'])));
      expect(lines.map((l) => l.address.split(',')[1]).sort()).toEqual([...env.services.keys()].sort());
      const ext = redisClusterTopology(env);
      expect(Object.keys(ext?.natMap ?? {})).toHaveLength(6);

      const run = ctx.runContext(env);
      const probe = await redisClusterWrite.start(run, redisClusterWrite.params.parse({}), {
        name: 'writes',
        intervalMs: 10,
        timeoutMs: 500,
        target: {},
      });
      await sleep(800);
      const before = await ext?.masterOf(0);
      const kill = await redisKillMaster.inject(run, redisKillMaster.params.parse({}), { role: 'master' });
      const tInjectMs = ctx.clock.now();
      expect(kill.details.service).toBe(before);
      await waitFor(
        'slots 0-5460 served by another node',
        async () => {
          const m = await ext?.masterOf(0);
          return m !== undefined && m !== before;
        },
        15_000,
      );
      await sleep(2500);
      await probe.stop();
      expect(probe.failure?.()).toBeUndefined();
      const ops = probe.ops();
      const opts = { tInjectMs, stableForMs: 1000, deadlineMs: tInjectMs + 15_000 };
      const v = await probe.verify?.(AbortSignal.timeout(20_000));
      const groups = computeGroups(ops, opts, v?.present) ?? [];
      const rto = groupedRto(computeRto(ops, opts), groups, tInjectMs);
      expect(groups[0]?.rto.impact).toBe(true);
      expect(rto.rtoMs).not.toBeNull();
      expect(rto.rtoMs as number).toBeLessThan(8000);
      const rpo = v ? computeRpo(ops, v.present, tInjectMs) : undefined;
      expect(rpo?.acknowledged).toBeGreaterThan(100);
      expect(rpo?.lost, JSON.stringify(rpo?.lostSample)).toBe(0);
      await kill[Symbol.asyncDispose]();
      await ext?.waitHealthy(AbortSignal.timeout(30_000), 30_000);
      expect(await env.services.get(before as string)?.role()).toBe('replica');
      console.log(
        `containers: bring-up ${Math.round(env.info.bringUpMs as number)} ms; ${before} killed; RTO per range`,
        groups
          .map((g) => `${g.group} ${g.rto.rtoMs === null ? 'no impact' : `${Math.round(g.rto.rtoMs)} ms`}`)
          .join(', '),
        `; ${rpo?.acknowledged} acknowledged, ${rpo?.lost} lost; rejoin ${Math.round(kill.details.rejoinMs as number)} ms`,
      );
    } finally {
      await rt[Symbol.asyncDispose]();
    }
    expect(await runLeftovers(rt.docker, ctx.runId)).toEqual(NOTHING_LEFT);
  }, 90_000);
});
