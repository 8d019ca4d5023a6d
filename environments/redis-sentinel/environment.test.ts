import { describe, expect, it } from 'vitest';
import { redisKillMaster } from '../../src/injectors/redis-kill-master.js';
import { markedProcesses } from '../../src/providers/local/run-registry.js';
import { FAULT_PROXY } from '../../src/proxy/index.js';
import { redisSentinelTopology } from '../../src/stacks/redis-sentinel.js';
import { serviceRoles, waitFor } from '../../src/testing/wait.js';
import redisSentinel, { redisSentinelOptions } from './environment.js';
import { askRole } from './redis-control.js';
import { testContext } from './test-context.js';

describe('redis-sentinel environment', () => {
  it('comes up through the fault proxy with live roles, fails over after a kill and takes the master back', async () => {
    using ctx = testContext();
    {
      await using env = await redisSentinel.start(ctx, redisSentinelOptions.parse({}));
      expect(env.info.bringUpMs).toBeLessThan(10_000);
      expect(env.info.versions).toMatchObject({
        'redis-server': expect.stringMatching(/^Redis server v=7\./),
        'redis-sentinel': expect.stringMatching(/^Redis server v=7\./),
      });
      expect(await serviceRoles(env)).toEqual({
        'redis-1': 'primary',
        'redis-2': 'replica',
        'redis-3': 'replica',
        'sentinel-1': 'sentinel',
        'sentinel-2': 'sentinel',
        'sentinel-3': 'sentinel',
      });
      // Replicas were announced at their proxy ports, so the master's replication goes through the proxy.
      const master = env.services.get('redis-1');
      const role = await askRole(master?.endpoints.direct ?? { host: '', port: 0 });
      const proxied = ['redis-2', 'redis-3'].map((n) => env.services.get(n)?.endpoints.redis?.port);
      expect(role?.role === 'master' && role.replicas.map((r) => r.port).sort()).toEqual(proxied.sort());

      const run = ctx.runContext(env);
      const t0 = performance.now();
      const fault = await redisKillMaster.inject(run, redisKillMaster.params.parse({}), { role: 'primary' });
      expect(fault.details.service).toBe('redis-1');
      const promoted = await waitFor(
        'a new primary',
        async () => {
          for (const n of ['redis-2', 'redis-3'])
            if ((await env.services.get(n)?.role()) === 'primary') return n;
          return undefined;
        },
        15_000,
      );
      const failoverMs = performance.now() - t0;
      expect(failoverMs).toBeLessThan(8000);
      await fault[Symbol.asyncDispose]();
      // Usually the replica promoted first stays master and redis-1 is its replica. On a loaded
      // machine (seen in 2 of ~30 full-suite runs, not reproduced alone or under CPU load) the
      // sentinels fail over a second time, to the other replica or to the rejoined redis-1: what
      // must hold is one primary that all agree on, and redis-1 as a replica unless a second
      // switch-master was recorded (then the timeline is printed).
      const ext = redisSentinelTopology(run.env);
      const masterNow = await ext?.electedMaster(AbortSignal.timeout(5000));
      const switches = ctx.events.filter((e) => e.type === 'redis-switch-master');
      const timeline = ctx.events
        .filter((e) => e.type.startsWith('redis-') || e.type === 'detected')
        .map((e) => `+${Math.round(e.tMs)} ${e.type}: ${e.message}`)
        .join('\n');
      expect(await env.services.get(masterNow as string)?.role(), timeline).toBe('primary');
      if (switches.length < 2) expect(await env.services.get('redis-1')?.role(), timeline).toBe('replica');
      else console.log(`second failover after the rejoin:\n${timeline}`);
      console.log(
        `bring-up ${Math.round(env.info.bringUpMs as number)} ms, failover ${Math.round(failoverMs)} ms,`,
        `rejoin ${Math.round(fault.details.rejoinMs as number)} ms, promoted ${promoted}, master now ${masterNow}`,
        masterNow === promoted ? '' : `(re-elected: ${switches.map((e) => e.message).join('; ')})`,
      );
    }
    expect(markedProcesses(ctx.runId)).toEqual([]);
  });

  it('comes up without the proxy and rejects unknown options', async () => {
    expect(() => redisSentinelOptions.parse({ viaproxy: false })).toThrow();
    using ctx = testContext();
    {
      await using env = await redisSentinel.start(ctx, redisSentinelOptions.parse({ viaProxy: false }));
      expect(env.extensions.get(FAULT_PROXY)).toBeUndefined();
      const r1 = env.services.get('redis-1');
      expect(r1?.endpoints.redis).toEqual(r1?.endpoints.direct);
      expect(await r1?.role()).toBe('primary');
    }
    expect(markedProcesses(ctx.runId)).toEqual([]);
  });
});
