import { describe, expect, it } from 'vitest';
import { redisKillMaster } from '../../src/injectors/redis-kill-master.js';
import { markedProcesses } from '../../src/providers/local/run-registry.js';
import { FAULT_PROXY } from '../../src/proxy/index.js';
import { redisClusterTopology } from '../../src/stacks/redis-cluster.js';
import { serviceRoles, waitFor } from '../../src/testing/wait.js';
import { redisCall } from '../redis-sentinel/redis-control.js';
import { parseClusterNodes } from './cluster-view.js';
import redisCluster, { redisClusterOptions } from './environment.js';
import { testContext } from './test-context.js';

describe('redis-cluster environment', () => {
  it('comes up as 3 masters + 3 replicas through the fault proxy, fails over after a master kill and takes the node back as a replica', async () => {
    using ctx = testContext();
    {
      await using env = await redisCluster.start(ctx, redisClusterOptions.parse({}));
      expect(env.info.versions).toMatchObject({
        'redis-server': expect.stringMatching(/^Redis server v=7\./),
      });
      const roles = Object.values(await serviceRoles(env));
      expect(roles.filter((r) => r === 'master')).toHaveLength(3);
      expect(roles.filter((r) => r === 'replica')).toHaveLength(3);
      const ext = redisClusterTopology(env);
      expect(ext?.ranges.map((r) => r.name)).toEqual([
        'slots 0-5460',
        'slots 5461-10922',
        'slots 10923-16383',
      ]);
      // Every node announces its proxy port, so CLUSTER SLOTS sends clients through the fault proxy.
      expect(env.extensions.get(FAULT_PROXY)).toBeDefined();
      const any = env.services.get('redis-2')?.endpoints.direct ?? { host: '', port: 0 };
      const lines = parseClusterNodes(String(await redisCall(any, ['CLUSTER', 'NODES'])));
      const proxyPorts = [...env.services.values()].map((s) => s.endpoints.redis?.port).sort();
      expect(lines.map((l) => Number(l.address.split('@')[0]?.split(':')[1])).sort()).toEqual(proxyPorts);

      const master = await env.resolve({ role: 'master' });
      const replica = await env.resolve({ role: 'replica' });
      expect(await ext?.masterOf(0)).toBe(master.name);
      const run = ctx.runContext(env);
      const t0 = performance.now();
      const fault = await redisKillMaster.inject(run, redisKillMaster.params.parse({}), { role: 'master' });
      expect(fault.details.service).toBe(master.name);
      await waitFor('the replica promoted', async () => (await ext?.masterOf(0)) === replica.name, 15_000);
      const failoverMs = performance.now() - t0;
      expect(failoverMs).toBeLessThan(8000);
      await fault[Symbol.asyncDispose]();
      await ext?.waitHealthy(AbortSignal.timeout(30_000), 30_000);
      expect(await env.services.get(master.name)?.role()).toBe('replica');
      expect((await env.resolve({ role: 'replica' })).name).toBe(master.name);
      console.log(
        `bring-up ${Math.round(env.info.bringUpMs as number)} ms, ${master.name} killed, ${replica.name} promoted after ${Math.round(failoverMs)} ms, rejoin ${Math.round(fault.details.rejoinMs as number)} ms`,
      );
    }
    expect(markedProcesses(ctx.runId)).toEqual([]);
  });
});
