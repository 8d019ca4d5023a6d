import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import redisCluster, { redisClusterOptions } from '../../environments/redis-cluster/environment.js';
import { testContext } from '../../environments/redis-cluster/test-context.js';
import { redisCall } from '../../environments/redis-sentinel/redis-control.js';
import { computeGroups } from '../core/metrics/groups.js';
import { computeRpo } from '../core/metrics.js';
import { redisKillMaster } from '../injectors/redis-kill-master.js';
import { markedProcesses } from '../providers/local/run-registry.js';
import { redisClusterTopology } from '../stacks/redis-cluster.js';
import { waitFor } from '../testing/wait.js';
import { keySlot } from './key-slot.js';
import { redisClusterWrite, tagsInRange } from './redis-cluster-write.js';

describe('redis-cluster-write', () => {
  it('computes the slot of a key as the server does, hash tags included', async () => {
    using ctx = testContext();
    {
      await using env = await redisCluster.start(ctx, redisClusterOptions.parse({ viaProxy: false }));
      const ep = env.services.get('redis-1')?.endpoints.direct ?? { host: '', port: 0 };
      for (const key of [
        '',
        'a',
        'foo',
        '{user1000}.following',
        'foo{}{bar}',
        'foo{{bar}}zap',
        '{}x',
        'ключ',
        'w:1f2e:12345',
      ]) {
        expect(keySlot(key), key).toBe(Number(await redisCall(ep, ['CLUSTER', 'KEYSLOT', key])));
      }
      const range = redisClusterTopology(env)?.ranges[1];
      const tags = tagsInRange(range ?? { name: '', from: 0, to: 0 }, 8, 'p');
      expect(new Set(tags.map(keySlot)).size).toBe(8);
      for (const t of tags) expect(keySlot(t)).toBeGreaterThanOrEqual(range?.from ?? -1);
    }
    expect(markedProcesses(ctx.runId)).toEqual([]);
  });

  it('sees only the killed master’s slot range fail when the cluster serves partial coverage, and reads every acknowledged write back', async () => {
    using ctx = testContext();
    {
      await using env = await redisCluster.start(
        ctx,
        redisClusterOptions.parse({ requireFullCoverage: false }),
      );
      const run = ctx.runContext(env);
      const ext = redisClusterTopology(env);
      await using probe = await redisClusterWrite.start(run, redisClusterWrite.params.parse({}), {
        name: 'w',
        intervalMs: 10,
        timeoutMs: 500,
        target: {},
      });
      await sleep(1000);
      const before = await ext?.masterOf(0);
      const fault = await redisKillMaster.inject(run, redisKillMaster.params.parse({}), { role: 'master' });
      const tInjectMs = ctx.clock.now();
      await waitFor(
        'slots 0-5460 served again',
        async () => {
          const m = await ext?.masterOf(0);
          return m !== undefined && m !== before;
        },
        15_000,
      );
      await sleep(2000);
      await probe.stop();
      const ops = probe.ops();
      const v = await probe.verify?.(AbortSignal.timeout(30_000));
      const groups =
        computeGroups(ops, { tInjectMs, stableForMs: 1000, deadlineMs: tInjectMs + 20_000 }, v?.present) ??
        [];
      const [hit, ...others] = groups;
      expect(groups.map((g) => g.group)).toEqual(['slots 0-5460', 'slots 5461-10922', 'slots 10923-16383']);
      expect(hit?.rto.impact).toBe(true);
      expect(hit?.rto.rtoMs).toBeGreaterThan(500);
      for (const g of others) expect(g.rto, g.group).toMatchObject({ impact: false, failedOps: 0 });
      const rpo = v ? computeRpo(ops, v.present, tInjectMs) : undefined;
      expect(rpo?.acknowledged).toBeGreaterThan(200);
      expect(rpo?.lost, JSON.stringify(rpo?.lostSample)).toBe(0);
      const summary = probe.summary?.() as {
        mastersAtStart: Record<string, string>;
        mastersAtReadBack: Record<string, string>;
      };
      expect(summary.mastersAtStart['slots 0-5460']).toBe(before);
      expect(summary.mastersAtReadBack['slots 0-5460']).not.toBe(before);
      await fault[Symbol.asyncDispose]();
      console.log(
        `partial coverage: ${hit?.group} RTO ${Math.round(hit?.rto.rtoMs ?? -1)} ms, others no impact; ${rpo?.acknowledged} acknowledged, ${rpo?.lost} lost`,
      );
    }
    expect(markedProcesses(ctx.runId)).toEqual([]);
  });
});
