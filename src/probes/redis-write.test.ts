import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import redisSentinel, { redisSentinelOptions } from '../../environments/redis-sentinel/environment.js';
import { testContext } from '../../environments/redis-sentinel/test-context.js';
import { computeRto } from '../core/metrics.js';
import type { RunContext, RunningProbe } from '../core/types.js';
import { networkPartition } from '../injectors/network-partition.js';
import { markedProcesses } from '../providers/local/run-registry.js';
import { REDIS_SENTINEL } from '../stacks/redis-sentinel.js';
import { waitFor } from '../testing/wait.js';
import { redisWrite } from './redis-write.js';

async function startProbe(run: RunContext, name: string, params: Record<string, unknown>, service?: string) {
  return redisWrite.start(run, redisWrite.params.parse(params), {
    name,
    intervalMs: 10,
    timeoutMs: 500,
    target: service ? { service } : { role: 'primary' },
  });
}

/** Acknowledged keys that the current master does not have, with the time each was acknowledged. */
async function lostWrites(p: RunningProbe) {
  const v = await p.verify?.(AbortSignal.timeout(20_000));
  const acked = p.ops().filter((o) => o.outcome === 'ok');
  return { acked: acked.length, lost: acked.filter((o) => o.key && !v?.present.has(o.key)) };
}

/**
 * The old master is cut off from replicas and sentinels (its proxy is disabled) while a client
 * that reaches its real port keeps writing to it.
 */
async function splitBrain(options: Record<string, unknown>) {
  using ctx = testContext();
  const env = await redisSentinel.start(ctx, redisSentinelOptions.parse(options));
  try {
    const run = ctx.runContext(env);
    const ext = env.extensions.get(REDIS_SENTINEL)!;
    await using ha = await startProbe(run, 'ha', { client: 'sentinel' });
    await using direct = await startProbe(run, 'direct', { client: 'direct', endpoint: 'direct' }, 'redis-1');
    await sleep(800);
    const tCut = ctx.clock.now();
    const partition = await networkPartition.inject(run, networkPartition.params.parse({}), {
      service: 'redis-1',
    });
    await waitFor(
      'failover away from redis-1',
      async () => (await ext.electedMaster()) !== 'redis-1',
      15_000,
    );
    // Recovered as the harness defines it: successes for 500 ms after the outage the cut caused.
    const haRto = () =>
      computeRto(ha.ops(), { tInjectMs: tCut, stableForMs: 500, deadlineMs: tCut + 15_000 });
    await waitFor('HA writes on the new master', () => haRto().recoveredAtMs !== null, 16_000).catch(
      (err) => {
        const errs = ha
          .ops()
          .filter((o) => o.startMs > tCut)
          .map((o) => `${o.outcome} ${o.error ?? ''}`);
        const log = (ha.summary?.() as { connectionLog?: unknown[] } | undefined)?.connectionLog ?? [];
        throw new Error(
          `${(err as Error).message}; HA ops since the cut: ${[...new Set(errs)].slice(0, 8).join(' | ')}; ` +
            `cut at ${Math.round(tCut)} ms; HA client connection log: ${JSON.stringify(log)}`,
        );
      },
    );
    const rtoMs = haRto().rtoMs ?? Number.NaN;
    await sleep(1000);
    const isolatedRole = await env.services.get('redis-1')?.role();
    const tHeal = ctx.clock.now();
    await partition[Symbol.asyncDispose]();
    await ext.waitHealthy(undefined, 20_000);
    const rejoinMs = ctx.clock.now() - tHeal;
    await Promise.all([ha.stop(), direct.stop()]);
    return {
      tCut,
      rtoMs,
      rejoinMs,
      isolatedRole,
      healedRole: await env.services.get('redis-1')?.role(),
      ha: await lostWrites(ha),
      direct: await lostWrites(direct),
      directErrors: direct.ops().flatMap((o) => (o.startMs > tCut && o.error ? [o.error] : [])),
      runId: ctx.runId,
      haFailure: ha.failure?.(),
    };
  } finally {
    await env[Symbol.asyncDispose]();
  }
}

describe('redis-write', () => {
  it('counts writes a partitioned master acknowledged as lost once it rejoins as a replica', async () => {
    const r = await splitBrain({});
    expect(r.isolatedRole).toBe('stale-primary');
    expect(r.healedRole).toBe('replica');
    // Sentinel needs down-after-milliseconds (1 s) before it can fail over.
    expect(r.rtoMs).toBeGreaterThan(1000);
    expect(r.rtoMs).toBeLessThan(8000);
    expect(r.haFailure).toBeUndefined();
    // The isolated master kept acknowledging the direct client's writes; the resync threw them away.
    expect(r.direct.lost.length).toBeGreaterThan(50);
    expect(r.direct.lost.every((o) => o.startMs >= r.tCut - 50)).toBe(true);
    console.log(
      `split brain: HA client RTO ${Math.round(r.rtoMs)} ms, ${r.ha.lost.length}/${r.ha.acked} HA writes lost;`,
      `${r.direct.lost.length}/${r.direct.acked} direct writes lost; rejoin ${Math.round(r.rejoinMs)} ms after heal`,
    );
    expect(markedProcesses(r.runId)).toEqual([]);
  });

  it('loses (almost) nothing when the master needs a replica to accept writes', async () => {
    const r = await splitBrain({ minReplicasToWrite: 1, minReplicasMaxLagSec: 1 });
    expect(r.direct.lost.length).toBeLessThanOrEqual(5);
    expect(r.directErrors.some((e) => e.includes('NOREPLICAS'))).toBe(true);
    // The HA client follows the failover here too: its RTO is a measured number.
    expect(r.rtoMs).toBeGreaterThan(1000);
    expect(r.rtoMs).toBeLessThan(15_000);
    expect(r.haFailure).toBeUndefined();
    expect(r.ha.lost).toEqual([]);
    console.log(
      `bounded: ${r.direct.lost.length}/${r.direct.acked} direct writes lost, HA RTO ${Math.round(r.rtoMs)} ms`,
    );
    expect(markedProcesses(r.runId)).toEqual([]);
  });
});
