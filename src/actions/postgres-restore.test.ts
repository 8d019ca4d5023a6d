import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startTestStack } from '../../environments/postgres-backup/test-context.js';
import { postgresDestroy, postgresDestroyParams } from '../injectors/postgres-destroy.js';
import { runLeftovers } from '../providers/local/run-registry.js';
import { PG_BACKUP } from '../stacks/postgres-backup.js';
import { queryOnce } from '../stacks/postgres-client.js';
import { postgresRestore, postgresRestoreParams } from './postgres-restore.js';

/** Waits until postgres reports the current WAL segment archived (pg_stat_archiver). */
async function archiveNow(conn: Parameters<typeof queryOnce>[0]): Promise<void> {
  const [sw] = await queryOnce<{ w: string }>(conn, 'select pg_walfile_name(pg_switch_wal()) as w');
  for (let i = 0; i < 100; i++) {
    const [a] = await queryOnce<{ w: string | null }>(
      conn,
      'select last_archived_wal as w from pg_stat_archiver',
    );
    if (a?.w && a.w >= sw!.w) return;
    await sleep(100);
  }
  throw new Error(`segment ${sw?.w} not archived within 10 s`);
}

describe('postgres-destroy and postgres-restore', () => {
  it('brings back a removed data directory to the latest archived write, verifies it, and projects the restore time', async () => {
    let runId = '';
    {
      await using stack = await startTestStack({ dataSize: '5MB', verifyRestore: false });
      runId = stack.runId;
      const ext = stack.env.extensions.get(PG_BACKUP)!;
      const conn = ext.connection();
      // Written after the base backup: only the WAL archive can bring these back.
      await queryOnce(conn, 'create table after_backup (id int primary key)');
      await queryOnce(conn, 'insert into after_backup select generate_series(1, 500)');
      await archiveNow(conn);

      const injectStartMs = stack.ctx.clock.now();
      const fault = await postgresDestroy.inject(stack.ctx, postgresDestroyParams.parse({}), {});
      expect(fault.reversible).toBe(false);
      expect(fault.details).toMatchObject({
        mode: 'data-directory',
        removed: expect.stringContaining('/pg/data'),
      });
      await expect(queryOnce(conn, 'select 1', [], { timeoutMs: 1000 })).rejects.toThrow();

      const params = postgresRestoreParams.parse({ projectTo: '200GB', objective: '4h' });
      const r = await postgresRestore.run(stack.ctx, params, {
        fault,
        injectStartMs,
        detection: () => undefined,
      });
      expect(r.steps.map((s) => s.name)).toEqual(['restore-base-backup', 'replay-wal', 'verify-checksums']);
      expect(r.verification).toMatchObject({ tablesCompared: 1, rowsLost: 0, checksumMismatches: 0 });
      expect(r.verification!.rowsMatched).toBe(ext.reference[0]!.rows);
      const [after] = await queryOnce<{ n: string }>(conn, 'select count(*) as n from after_backup');
      expect(Number(after?.n)).toBe(500);

      const d = r.details!;
      expect(d.restoredTo).toBe('latest (end of the archived WAL)');
      expect(d.backupAgeAtFaultMs).toBeGreaterThan(0);
      const inputs = d.projectionInputs as Record<string, number>;
      expect(inputs.projectToBytes).toBe(200e9);
      expect(inputs.objectiveMs).toBe(4 * 3_600_000);
      // measuredRestoreMs is rounded to the ms: the figures agree to within 0.1 %.
      const rate = inputs.measuredBytes! / (inputs.measuredRestoreMs! / 1000);
      expect(Math.abs(inputs.throughputBytesPerSec! / rate - 1)).toBeLessThan(1e-3);
      expect(Math.abs(inputs.projectedMs! / ((200e9 / rate) * 1000) - 1)).toBeLessThan(1e-3);
      expect(String(d.projection)).toMatch(
        /^PROJECTION, not a measurement: 200 GB at the measured .* MB\/s would take .*; objective 4 h 0 min: (within|OVER)$/,
      );
    }
    expect(runLeftovers(runId)).toEqual([]);
  }, 180_000);

  it('restores a dropped table to just before the DROP, and a wrong checksum is reported, not hidden', async () => {
    await using stack = await startTestStack({ dataSize: '2MB', verifyRestore: false });
    const ext = stack.env.extensions.get(PG_BACKUP)!;
    const conn = ext.connection();
    const table = ext.reference[0]!.table;
    await sleep(1100);
    const injectStartMs = stack.ctx.clock.now();
    const fault = await postgresDestroy.inject(
      stack.ctx,
      postgresDestroyParams.parse({ mode: 'drop-table' }),
      {},
    );
    expect(fault.details).toMatchObject({ mode: 'drop-table', table, restoreBefore: expect.any(String) });
    await expect(queryOnce(conn, `select 1 from ${table}`)).rejects.toThrow(/does not exist/);
    // Archived after the drop, so that a restore to "latest" would bring the drop back too.
    await archiveNow(conn);

    const r = await postgresRestore.run(stack.ctx, postgresRestoreParams.parse({}), {
      fault,
      injectStartMs,
      detection: () => undefined,
    });
    expect(r.details!.restoredTo).toBe(`before ${String(fault.details.restoreBefore)}`);
    expect(r.verification).toMatchObject({ rowsLost: 0, checksumMismatches: 0 });

    // The same table changed after the restore: the verification against the reference says so.
    await queryOnce(conn, `update ${table} set amount = amount + 1 where id = 1`);
    const found = await ext.checksums([table], stack.ctx.signal);
    expect(found[0]!.rows).toBe(ext.reference[0]!.rows);
    expect(found[0]!.md5).not.toBe(ext.reference[0]!.md5);
  }, 180_000);

  it('rejects a size it cannot read, naming the expected form', () => {
    const r = postgresRestoreParams.safeParse({ projectTo: '200 gigs' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['projectTo']);
    expect(r.error?.issues[0]?.message).toMatch(/expected a size such as "50MB", "200GB"/);
  });
});
