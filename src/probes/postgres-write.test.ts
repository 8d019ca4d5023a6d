// Real pg_auto_failover cluster: the write probe follows failovers, the injector crashes and brings
// back the primary, and the RPO checker finds exactly the acknowledged rows deleted behind its back.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgresHa, { postgresHaOptions } from '../../environments/postgres-ha/environment.js';
import { type TestContext, testContext } from '../../environments/postgres-ha/test-context.js';
import { computeRpo, computeRto } from '../core/metrics.js';
import type { OpRecord, RunContext, RunningProbe, StartedEnvironment } from '../core/types.js';
import { postgresKillPrimary } from '../injectors/postgres-kill-primary.js';
import { getPostgresController, type PostgresController } from '../stacks/postgres.js';
import { queryOnce } from '../stacks/postgres-client.js';
import { postgresReplicationLag } from './postgres-replication-lag.js';
import { postgresWrite } from './postgres-write.js';

let ctx: TestContext;
let env: StartedEnvironment;
let run: RunContext;
let pg: PostgresController;

beforeAll(async () => {
  ctx = testContext();
  env = await postgresHa.start(ctx, postgresHaOptions.parse({}));
  run = ctx.runContext(env);
  pg = getPostgresController(env, 'test');
});

afterAll(async () => {
  await env?.[Symbol.asyncDispose]();
  ctx?.[Symbol.dispose]();
});

function startWrites(name: string, table: string): Promise<RunningProbe> {
  const common = { name, intervalMs: 20, timeoutMs: 1000, target: { role: 'primary' } };
  return postgresWrite.start(run, postgresWrite.params.parse({ table }), common);
}

/** Waits until ops started after tMs have been ok for stableMs; bounded. */
async function waitRecovered(probe: RunningProbe, tMs: number, stableMs: number, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const rto = computeRto(probe.ops(), { tInjectMs: tMs, stableForMs: stableMs, deadlineMs: Infinity });
    if (rto.rtoMs !== null) return rto;
    await sleep(100);
  }
  throw new Error(`writes did not recover within ${timeoutMs}ms`);
}

describe('postgres-write, postgres-replication-lag and postgres-kill-primary on a real cluster', () => {
  it('follows a node crash and a postmaster crash without losing acknowledged writes', async () => {
    const writes = await startWrites('writes', 'chaos_writes');
    const lag = await postgresReplicationLag.start(
      run,
      {},
      {
        name: 'lag',
        intervalMs: 200,
        timeoutMs: 1000,
        target: { role: 'primary' },
      },
    );
    await sleep(1500);
    expect(writes.ops().length).toBeGreaterThan(30);
    expect(writes.ops().every((o) => o.outcome === 'ok')).toBe(true);

    const node = await postgresKillPrimary.inject(run, postgresKillPrimary.params.parse({}), {
      role: 'primary',
    });
    const tNode = ctx.clock.now();
    expect(node.details).toMatchObject({ node: 'node1', mode: 'node' });
    const rtoNode = await waitRecovered(writes, tNode, 1000, 30_000);
    expect(rtoNode.impact).toBe(true);
    await node[Symbol.asyncDispose]();
    expect(node.details.primaryAfter).toBe('node2');
    expect(await env.services.get('node1')?.role()).toBe('replica');

    const pm = await postgresKillPrimary.inject(
      run,
      postgresKillPrimary.params.parse({ mode: 'postmaster' }),
      {},
    );
    const tPm = ctx.clock.now();
    expect(pm.details).toMatchObject({ node: 'node2', mode: 'postmaster' });
    const rtoPm = await waitRecovered(writes, tPm, 1000, 30_000);
    await pm[Symbol.asyncDispose]();
    expect(pm.details.outcome).toMatch(
      /^(restarted locally|monitor failed over|monitor ran a failover and re-elected node2)$/,
    );

    await writes.stop();
    await lag.stop();
    const result = await writes.verify?.(AbortSignal.timeout(30_000));
    const rpo = computeRpo(writes.ops(), result?.present ?? new Set(), tNode);
    console.log(
      `postgres-ha: node crash RTO ${Math.round(rtoNode.rtoMs ?? -1)} ms, postmaster crash RTO ` +
        `${Math.round(rtoPm.rtoMs ?? -1)} ms (${pm.details.outcome}), ${rpo.acknowledged} acknowledged, ` +
        `${rpo.lost} lost, ${writes.ops().length} ops, summary ${JSON.stringify(writes.summary?.())}`,
    );
    expect(rpo.acknowledged).toBeGreaterThan(100);
    expect(rpo.lost).toBe(0);
    expect(rpo.rpoMs).toBe(0);
    const samples = lag.samples?.() ?? {};
    expect(samples.lagBytes?.length).toBeGreaterThan(0);
    expect(samples.lagSeconds?.length).toBe(samples.lagBytes?.length);
    await writes[Symbol.asyncDispose]();
    await lag[Symbol.asyncDispose]();
  });

  it('RPO checker: reports exactly the acknowledged rows deleted behind its back, and their window', async () => {
    const writes = await startWrites('rpo-check', 'rpo_check');
    await sleep(1500);
    await writes.stop();
    const acked = writes
      .ops()
      .filter((o): o is OpRecord & { key: string } => o.outcome === 'ok' && o.key !== undefined)
      .sort((a, b) => a.endMs - b.endMs);
    expect(acked.length).toBeGreaterThan(30);
    const victims = [acked[5], acked[10], acked[20]].filter((o) => o !== undefined);
    const primary = await pg.primary();
    await queryOnce(pg.connectionFor(primary.name), 'delete from rpo_check where k = any($1)', [
      victims.map((v) => v.key),
    ]);

    const result = await writes.verify?.(AbortSignal.timeout(30_000));
    expect(result?.checked).toBe(writes.ops().filter((o) => o.outcome !== 'fail').length);
    const missing = writes
      .ops()
      .flatMap((o) => (o.key !== undefined && !result?.present.has(o.key) ? [o.key] : []));
    expect(missing.sort()).toEqual(victims.map((v) => v.key).sort());

    // "Fault" between the 2nd and 3rd deleted write: window = newest - oldest lost ack, one lost after it.
    const [first, second, third] = victims as [OpRecord, OpRecord, OpRecord];
    const tInject = (second.endMs + third.endMs) / 2;
    const rpo = computeRpo(writes.ops(), result?.present ?? new Set(), tInject);
    expect(rpo.lost).toBe(3);
    expect(rpo.lostAfterInject).toBe(1);
    expect(rpo.rpoMs).toBeCloseTo(third.endMs - first.endMs, 6);
    expect(rpo.lostSample.map((l) => l.key)).toEqual(victims.map((v) => v.key));
    // Before all of them: the window runs from the oldest loss to t_inject.
    const late = computeRpo(writes.ops(), result?.present ?? new Set(), third.endMs + 500);
    expect(late.rpoMs).toBeCloseTo(third.endMs + 500 - first.endMs, 6);
    expect(late.lostAfterInject).toBe(0);
    await writes[Symbol.asyncDispose]();
  });
});
