import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startTestStack } from '../../environments/sqlite-s3/test-context.js';
import { restoreFromS3, restoreFromS3Params } from '../actions/restore-from-s3.js';
import { dataFilesOf } from '../core/data-files.js';
import { corruptFile, fileCorrupt, fileCorruptParams } from '../injectors/file-corrupt.js';
import { checkSqliteDataFile, sqliteIntegrity, sqliteIntegrityParams } from './sqlite-integrity.js';
import { sqliteTrades, sqliteTradesParams } from './sqlite-trades.js';

describe('sqlite-trades and sqlite-integrity probes', () => {
  it('record writes, detect damage, and read back what survived a restore', async () => {
    await using stack = await startTestStack({ backupIntervalMs: 300 });
    const { ctx, events } = stack;
    const target = { service: 'trade-store' };
    await using writes = await sqliteTrades.start(ctx, sqliteTradesParams.parse({}), {
      name: 'writes',
      intervalMs: 10,
      timeoutMs: 1000,
      target,
    });
    await using integrity = await sqliteIntegrity.start(ctx, sqliteIntegrityParams.parse({}), {
      name: 'integrity',
      intervalMs: 100,
      timeoutMs: 2000,
      target,
    });
    await sleep(2500);
    expect(writes.ops().length).toBeGreaterThan(100);
    expect(writes.ops().every((o) => o.outcome === 'ok' && o.key)).toBe(true);
    expect(integrity.ops().every((o) => o.outcome === 'ok')).toBe(true);

    const tInject = ctx.clock.now();
    await corruptFile(
      dataFilesOf(stack.env.services.get('trade-store')!).get('db'),
      fileCorruptParams.parse({ mode: 'pages', seed: 11, pages: 6 }),
    );
    // The action detects damage on its own and may restore before the probe's next tick: wait for
    // the probe first, so this test sees the probe's detection, not a race.
    const deadline = Date.now() + 10_000;
    while (!events.some((e) => e.type === 'detected') && Date.now() < deadline) await sleep(20);
    const res = await restoreFromS3.run(
      ctx,
      restoreFromS3Params.parse({ detectTimeout: 10_000 }),
      stack.incident(tInject),
    );
    await sleep(1000);
    await writes.stop();
    await integrity.stop();

    const detected = events.find((e) => e.type === 'detected');
    expect(detected?.tMs).toBeGreaterThanOrEqual(tInject);
    const iSum = integrity.summary!() as { firstDamageMs?: number; damageIntervals: unknown[] };
    expect(iSum.firstDamageMs).toBeGreaterThanOrEqual(tInject);
    expect(iSum.damageIntervals).toHaveLength(1);
    expect(integrity.ops().at(-1)?.outcome).toBe('ok');
    // The restore stopped the service: writes failed in between, then succeeded again.
    const wSum = writes.summary!() as { firstServiceFailureMs?: number };
    expect(wSum.firstServiceFailureMs).toBeGreaterThanOrEqual(tInject);
    expect(writes.ops().at(-1)?.outcome).toBe('ok');

    const v = await writes.verify!(AbortSignal.timeout(10_000));
    const acked = writes.ops().filter((o) => o.outcome === 'ok');
    const lost = acked.filter((o) => !v.present.has(o.key!));
    // Writes acknowledged after the restored snapshot was taken are gone, older ones are there.
    expect(v.checked).toBeGreaterThanOrEqual(acked.length);
    expect(lost.length).toBeGreaterThan(0);
    expect(acked[0] && v.present.has(acked[0].key!)).toBe(true);
    const stop = res.steps.find((s) => s.name === 'stop-service')!;
    expect(lost.every((o) => o.endMs > stop.startMs - 2000)).toBe(true);
  });
});

describe('a database that comes back without its write-ahead log', () => {
  it('is found by the read-back, and restored from the last backup before the fault', async () => {
    await using stack = await startTestStack({ backupIntervalMs: 200 });
    const { ctx, events } = stack;
    const target = { service: 'trade-store' };
    await using writes = await sqliteTrades.start(ctx, sqliteTradesParams.parse({ readBack: true }), {
      name: 'writes',
      intervalMs: 20,
      timeoutMs: 1000,
      target,
    });
    await sleep(1500);
    expect(writes.ops().every((o) => o.outcome === 'ok')).toBe(true);

    const injectStart = ctx.clock.now();
    const fault = await fileCorrupt.inject(
      ctx,
      fileCorruptParams.parse({ mode: 'delete-wal', restart: 'kill' }),
      target,
    );
    expect((fault.details.deleted as string[]).some((f) => f.endsWith('-wal'))).toBe(true);
    const deadline = Date.now() + 5000;
    while (!events.some((e) => e.type === 'detected') && Date.now() < deadline) await sleep(20);
    const detected = events.find((e) => e.type === 'detected');
    expect(detected?.data?.what).toBe('data-loss');
    // The loss is silent to the file itself: it is a valid database, only older.
    const file = dataFilesOf(stack.env.services.get('trade-store')!).get('db');
    expect(await checkSqliteDataFile(file, 'full')).toEqual({ ok: true });
    const beforeInject = writes.ops().filter((o) => o.outcome === 'ok' && o.endMs < injectStart);
    const missingBeforeRestore =
      beforeInject.length - (await writes.verify!(AbortSignal.timeout(10_000))).present.size;

    const res = await restoreFromS3.run(ctx, restoreFromS3Params.parse({}), stack.incident(injectStart));
    expect(res.details?.restorePoint).toBe('before-fault');
    const notAfter = ctx.clock.isoAt(injectStart);
    const key = res.details?.backupKey as string;
    const snapshotIso = key.slice(key.lastIndexOf('/') + 1, key.lastIndexOf('/') + 1 + notAfter.length);
    expect(snapshotIso <= notAfter).toBe(true);
    await sleep(500);
    await writes.stop();

    const present = (await writes.verify!(AbortSignal.timeout(10_000))).present;
    const lostBeforeInject = beforeInject.filter((o) => !present.has(o.key!));
    // Restoring gave back what the crash took, up to the snapshot: only writes acknowledged after
    // the snapshot (less than the 200 ms interval plus the kill) are still missing.
    const snapshotMs = Date.parse(snapshotIso) - Date.parse(ctx.clock.isoAt(0));
    expect(missingBeforeRestore).toBeGreaterThan(lostBeforeInject.length);
    expect(lostBeforeInject.every((o) => o.endMs > snapshotMs - 50)).toBe(true);
    expect((writes.summary!() as { missingOnReadBack: number }).missingOnReadBack).toBeGreaterThan(0);
  });
});
