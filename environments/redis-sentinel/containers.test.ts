// redis-sentinel on the containers provider, against the real engine: failover with a client's
// RTO measured through the natMap, a real partition, its heal, and nothing left behind.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { computeRto } from '../../src/core/metrics/rto.js';
import { networkPartition } from '../../src/injectors/network-partition.js';
import { redisKillMaster } from '../../src/injectors/redis-kill-master.js';
import { redisWrite } from '../../src/probes/redis-write.js';
import { ManagedContainer } from '../../src/providers/containers/managed-container.js';
import { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import type { SupervisedService } from '../../src/providers/supervised-service.js';
import { redisSentinelTopology } from '../../src/stacks/redis-sentinel.js';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../../src/testing/containers.js';
import { serviceRoles, waitFor } from '../../src/testing/wait.js';
import redisSentinel, { redisSentinelOptions } from './environment.js';
import { askRole, tryRedisCall } from './redis-control.js';
import { testContext } from './test-context.js';

const { skip } = await engineForTests('redis-sentinel containers test');

function containerOf(env: { services: ReadonlyMap<string, unknown> }, name: string): ManagedContainer {
  const proc = (env.services.get(name) as SupervisedService | undefined)?.proc;
  if (!(proc instanceof ManagedContainer)) throw new Error(`${name} does not run in a container`);
  return proc;
}

describe.skipIf(skip !== undefined)('redis-sentinel environment on the containers provider', () => {
  it('fails over after a kill (client RTO through the natMap), partitions the master for real, heals, and leaves nothing', async () => {
    using ctx = testContext();
    const rt = await ContainerRuntime.open(ctx.runId);
    ctx.provider = 'containers';
    ctx.containers = rt;
    try {
      await using env = await redisSentinel.start(ctx, redisSentinelOptions.parse({}));
      expect(env.info.provider).toBe('containers');
      expect(env.info.versions).toMatchObject({
        'redis-server': expect.stringMatching(/^Redis server v=7\./),
      });
      expect(String(env.info.redisVersion)).toMatch(/^Redis server v=7\./);
      expect(Object.values(env.info.images as Record<string, string>)).toEqual([
        expect.stringMatching(/^sha256:/),
        expect.stringMatching(/^sha256:/),
      ]);
      expect(await serviceRoles(env)).toEqual({
        'redis-1': 'primary',
        'redis-2': 'replica',
        'redis-3': 'replica',
        'sentinel-1': 'sentinel',
        'sentinel-2': 'sentinel',
        'sentinel-3': 'sentinel',
      });
      // Replicas announce their aliases: replication runs inside the network, not through the host.
      const r1 = env.services.get('redis-1');
      const role = await askRole(r1?.endpoints.direct ?? { host: '', port: 0 });
      expect(role?.role === 'master' && role.replicas.map((r) => r.host).sort()).toEqual([
        'redis-2',
        'redis-3',
      ]);
      const run = ctx.runContext(env);
      const ext = redisSentinelTopology(run.env);
      expect(Object.keys(ext?.natMap ?? {})).toHaveLength(6);

      // 1. Kill the master under a Sentinel client that reaches the nodes only through the natMap.
      const probe = await redisWrite.start(run, redisWrite.params.parse({}), {
        name: 'writes',
        intervalMs: 10,
        timeoutMs: 500,
        target: {},
      });
      await sleep(500);
      const kill = await redisKillMaster.inject(run, redisKillMaster.params.parse({}), { role: 'primary' });
      const tInjectMs = ctx.clock.now();
      expect(kill.details.service).toBe('redis-1');
      await waitFor('a new elected master', async () => (await ext?.electedMaster()) !== 'redis-1', 15_000);
      await sleep(2500);
      await probe.stop();
      expect(probe.failure?.()).toBeUndefined();
      const rto = computeRto(probe.ops(), { tInjectMs, stableForMs: 1000, deadlineMs: tInjectMs + 15_000 });
      expect(rto.impact).toBe(true);
      expect(rto.rtoMs).not.toBeNull();
      expect(rto.rtoMs as number).toBeLessThan(8000);
      const readBack = await probe.verify?.(AbortSignal.timeout(10_000));
      const acked = probe.ops().filter((o) => o.outcome === 'ok' && o.key !== undefined);
      expect(acked.length).toBeGreaterThan(100);
      expect(acked.filter((o) => !readBack?.present.has(o.key as string))).toEqual([]);
      await kill[Symbol.asyncDispose]();
      expect(await env.services.get('redis-1')?.role()).toBe('replica');

      // 2. Partition whoever is master now.
      const masterName = (await ext?.electedMaster(AbortSignal.timeout(5000))) as string;
      const master = env.services.get(masterName);
      const direct = master?.endpoints.direct ?? { host: '', port: 0 };
      const peer = containerOf(env, 'redis-1');
      const fromPeer = (cmd: string[]) =>
        peer.exec(['timeout', '2', 'redis-cli', '-h', masterName, '-p', String(direct.port), ...cmd]);
      expect((await fromPeer(['PING'])).output.trim()).toBe('PONG');
      const cut = await networkPartition.inject(run, networkPartition.params.parse({}), {
        service: masterName,
      });
      expect(cut.details.method).toMatch(/iptables/);
      // Another container's write is dropped (timeout kills redis-cli: 124), not refused.
      const t0 = performance.now();
      const dropped = await fromPeer(['SET', 'from-peer', '1']);
      expect(dropped.exitCode).toBe(124);
      expect(performance.now() - t0).toBeGreaterThan(1900);
      // The host (the bridge gateway) still reaches the isolated master, which still takes writes.
      expect(await tryRedisCall(direct, ['SET', 'from-host', '1'], { timeoutMs: 500 })).toBe('OK');
      // The sentinels lost it too: they elect another master while it still answers the host as one.
      await waitFor(
        'a failover away from the isolated master',
        async () => {
          const e = await ext?.electedMaster();
          return e !== undefined && e !== masterName;
        },
        15_000,
      );
      expect(await master?.role()).toBe('stale-primary');

      // 3. Heal: the peer reaches it again and Sentinel turns it into a replica.
      await cut[Symbol.asyncDispose]();
      expect(cut.details.healed).toBe('rules removed');
      expect((await fromPeer(['PING'])).output.trim()).toBe('PONG');
      await ext?.waitHealthy(AbortSignal.timeout(30_000), 30_000);
      expect(await master?.role()).toBe('replica');
      console.log(
        `containers: bring-up ${Math.round(env.info.bringUpMs as number)} ms, kill RTO ${Math.round(rto.rtoMs as number)} ms`,
        `(${acked.length} writes, 0 lost), rejoin ${Math.round(kill.details.rejoinMs as number)} ms,`,
        `partition apply ${cut.details.applyMs} ms / heal ${cut.details.healMs} ms`,
      );
    } finally {
      await rt[Symbol.asyncDispose]();
    }
    expect(await runLeftovers(rt.docker, ctx.runId)).toEqual(NOTHING_LEFT);
  }, 90_000);
});
