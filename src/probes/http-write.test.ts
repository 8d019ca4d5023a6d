// http-write against a real key-value service of one's own (test/fixtures/environments/kv): a mode
// that acknowledges before it persists loses exactly the writes acknowledged before a SIGKILL, a
// durable one loses none, and a read-back that does not work is an error, never lost writes.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { computeRpo } from '../core/metrics.js';
import type { RunContext, StartedEnvironment } from '../core/types.js';
import { startEnvironment } from '../providers/start-environment.js';
import { PROJECT_ROOT } from '../scenario/load.js';
import { testContext } from '../testing/test-context.js';
import { waitFor } from '../testing/wait.js';
import { httpWrite } from './http-write.js';

const DIR = join(PROJECT_ROOT, 'test/fixtures/environments/kv');

function start(run: RunContext, params: Record<string, unknown>, name = 'writes') {
  const common = { name, intervalMs: 20, timeoutMs: 1000, target: { service: 'kv' } };
  return httpWrite.start(run, httpWrite.params.parse(params), common);
}

/**
 * SIGKILL the service, wait until writes are acknowledged again; returns when the kill was sent
 * (the returned number) and when it had taken effect (`killedMs`): an answer the service wrote just
 * before it died can arrive between the two.
 */
async function killAndRecover(run: RunContext, env: StartedEnvironment, okCount: () => number) {
  const kv = env.services.get('kv');
  if (!kv) throw new Error('no kv service');
  const tKill = run.clock.now();
  await kv.kill('SIGKILL');
  killedMs = run.clock.now();
  const before = okCount();
  // The restart policy brings it back; then writes are acknowledged again.
  await waitFor('writes acknowledged after the restart', () => okCount() > before + 10, 15_000);
  return tKill;
}

let killedMs = 0;

describe('http-write on a real HTTP key-value service', () => {
  it('counts and lists the acknowledged writes a SIGKILL lost when the service acks before persisting', async () => {
    using ctx = testContext('kv', DIR);
    // Nothing is flushed during the test: every write acknowledged before the kill is lost.
    await using env = await startEnvironment(ctx, { mode: 'ack-first', flushMs: 600_000 }, 'test');
    const run = ctx.runContext(env);
    await using probe = await start(run, { readPath: '/kv/{id}' });
    await sleep(800);
    const okCount = () => probe.ops().filter((o) => o.outcome === 'ok').length;
    const tKill = await killAndRecover(run, env, okCount);
    await probe.stop();
    const v = await probe.verify!(AbortSignal.timeout(30_000));
    const rpo = computeRpo(probe.ops(), v.present, tKill);
    const ackedBeforeKill = probe.ops().filter((o) => o.outcome === 'ok' && o.endMs < tKill);
    const ackedWhileKilling = probe
      .ops()
      .filter((o) => o.outcome === 'ok' && o.endMs >= tKill && o.endMs <= killedMs);
    expect(ackedBeforeKill.length).toBeGreaterThan(20);
    // Every write acknowledged before the kill is lost and listed by id, in order; besides them, at
    // most the ones whose answer was on its way while the kill took effect.
    const lostKeys = rpo.lostSample.map((l) => l.key);
    expect(lostKeys.slice(0, ackedBeforeKill.length)).toEqual(ackedBeforeKill.slice(0, 50).map((o) => o.key));
    expect(rpo.lost - ackedBeforeKill.length).toBeGreaterThanOrEqual(0);
    expect(rpo.lost - ackedBeforeKill.length).toBeLessThanOrEqual(ackedWhileKilling.length);
    expect(rpo.lostSample[0]?.key).toMatch(/^writes-[0-9a-f]{6}-0$/);
    expect(rpo.lostAfterInject).toBe(rpo.lost - ackedBeforeKill.length);
    expect(rpo.acknowledged).toBeGreaterThan(rpo.lost);
  });

  it('loses nothing on a service that persists before it acknowledges, read back by id or by list', async () => {
    using ctx = testContext('kv', DIR);
    await using env = await startEnvironment(ctx, { mode: 'durable' }, 'test');
    const run = ctx.runContext(env);
    await using byId = await start(run, { readPath: '/kv/{id}' }, 'by-id');
    await using byList = await start(
      run,
      {
        method: 'POST',
        path: '/kv',
        headers: { 'content-type': 'application/json', 'x-write-id': '{id}' },
        body: '{"id":"{id}","seq":{seq},"sentAt":"{sentAt}"}',
        okStatus: [201],
        listPath: '/kv',
      },
      'by-list',
    );
    await using byLines = await start(run, { listPath: '/kv?format=lines' }, 'by-lines');
    await sleep(800);
    const probes = [byId, byList, byLines];
    const tKill = await killAndRecover(run, env, () => byId.ops().filter((o) => o.outcome === 'ok').length);
    for (const p of probes) await p.stop();
    for (const p of probes) {
      const ops = p.ops();
      // The templated header and body reached the service: it acknowledged with 201.
      expect(ops.filter((o) => o.outcome === 'ok').length, p.name).toBeGreaterThan(40);
      const rpo = computeRpo(ops, (await p.verify!(AbortSignal.timeout(30_000))).present, tKill);
      expect(rpo.lost, p.name).toBe(0);
      expect(rpo.rpoMs, p.name).toBe(0);
    }
    // Refused connections while the service was down are failures, not acknowledged writes.
    expect(byId.ops().some((o) => o.outcome === 'fail' && /ECONNREFUSED/.test(o.error ?? ''))).toBe(true);
  });

  it('ends with an error, never with lost writes, when the read-back requests fail', async () => {
    using ctx = testContext('kv', DIR);
    await using env = await startEnvironment(ctx, { mode: 'durable' }, 'test');
    const run = ctx.runContext(env);
    await using probe = await start(run, { readPath: '/kv/{id}', verifyTimeout: 500 });
    await sleep(300);
    await probe.stop();
    const port = env.services.get('kv')?.endpoints.http?.port;
    await fetch(`http://127.0.0.1:${port}/admin/fail-reads`, { method: 'POST' });
    await expect(probe.verify!(AbortSignal.timeout(10_000))).rejects.toMatchObject({
      code: 'VERIFY_FAILED',
      message: expect.stringMatching(
        /http-write writes: GET \/kv\/writes-[0-9a-f]+-\d+: HTTP 500 \(expected 200 present or 404 absent\), until the read-back timeout of 500 ms/,
      ),
    });
  });

  it('refuses templates and read-backs it cannot use, naming the field', () => {
    const issues = (params: Record<string, unknown>) =>
      httpWrite.params.safeParse(params).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ readPath: '/kv/{id}', body: '{"at":"{ackTime}"}' })).toEqual([
      expect.stringMatching(/^body: unknown placeholder \{ackTime\}.*Expected one of: id, seq, sentAt/),
    ]);
    expect(issues({ readPath: '/kv/{id}', path: `/kv/\${id}` })).toEqual([
      expect.stringMatching(/^path: http-write templates use \{id\}.*environment\.yaml/),
    ]);
    expect(issues({})).toEqual([expect.stringMatching(/^readPath: expected exactly one of readPath/)]);
    expect(issues({ readPath: '/kv', listPath: '/kv' })).toEqual([
      expect.stringMatching(/^readPath: expected exactly one/),
      'readPath: expected {id} in the path, got "/kv"',
    ]);
    expect(issues({ path: '/kv', listPath: '/kv' })).toEqual([
      expect.stringMatching(/^path: expected \{id\} in the path, a header or the body/),
    ]);
    expect(issues({ listPath: '/kv', body: '{{id}} is literal', path: '/x' })).toHaveLength(1);
  });
});
