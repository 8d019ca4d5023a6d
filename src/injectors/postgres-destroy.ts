// Destroy the database of postgres-backup, as the incidents that send an operator to the backups
// do: the data directory removed (a lost disk, an rm -rf on the wrong host), or a table dropped by
// mistake. Neither can be undone in place: the recovery is a restore (postgres-restore).
import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
import type { InjectedFault, Injector } from '../core/types.js';
import { getPgBackup } from '../stacks/postgres-backup.js';
import { queryOnce } from '../stacks/postgres-client.js';

export const postgresDestroyParams = z
  .strictObject({
    mode: z
      .enum(['data-directory', 'drop-table'])
      .default('data-directory')
      .describe(
        'data-directory: SIGKILL postgres and remove its data directory (WAL included); drop-table: DROP TABLE on the running database, by mistake',
      ),
    table: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier')
      .optional()
      .describe('drop-table: the table dropped (default: the first table the environment loaded)'),
  })
  .meta({
    description:
      'Destroys the database of postgres-backup: its data directory removed after a SIGKILL, or a table dropped by mistake. Not reversible in place; recover with postgres-restore (a restore to the latest point, or to just before the mistake).',
    examples: [{ mode: 'data-directory' }, { mode: 'drop-table', table: 'backup_data' }],
  });

export type PostgresDestroyParams = z.infer<typeof postgresDestroyParams>;

export const postgresDestroy: Injector<PostgresDestroyParams> = {
  params: postgresDestroyParams,
  describe: (p) =>
    p.mode === 'data-directory'
      ? 'SIGKILL postgres and remove its data directory'
      : `DROP TABLE ${p.table ?? '(the loaded table)'} by mistake`,
  async inject(ctx, p): Promise<InjectedFault> {
    const ext = getPgBackup(ctx.env, 'postgres-destroy');
    let details: Record<string, unknown>;
    let description: string;
    if (p.mode === 'data-directory') {
      details = { mode: p.mode, ...(await ext.destroyDataDirectory()) };
      description = `SIGKILL to postgres (${String(details.killed)}), data directory ${String(details.removed)} removed`;
    } else {
      const table = p.table ?? ext.reference[0]?.table;
      if (!table)
        throw new HarnessError(
          'INJECTION_FAILED',
          'postgres-destroy: the environment loaded no table to drop',
        );
      // The wall time just before the mistake: what an operator reads in the log and restores to.
      const before = new Date().toISOString();
      await queryOnce(ext.connection(), `drop table ${table}`, [], { timeoutMs: 30_000, signal: ctx.signal });
      details = { mode: p.mode, table, restoreBefore: before };
      description = `DROP TABLE ${table} (by mistake) at ${before}`;
    }
    ctx.emit('postgres-destroyed', description, details);
    return {
      description,
      reversible: false,
      details,
      async [Symbol.asyncDispose]() {},
    };
  },
};
