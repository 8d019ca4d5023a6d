// The automated restore verification: the newest backup and the WAL archive restored into a
// scratch data directory, started on a port of its own with archiving off, and every reference
// table's row count and checksum compared with the source's.

import type { LogFn, RestoreVerification } from '../../src/core/types.js';
import type { PgConnection } from '../../src/stacks/postgres.js';
import {
  type BackupInfo,
  compareChecksums,
  type PgBackupController,
  type TableComparison,
} from '../../src/stacks/postgres-backup.js';
import { tableChecksums } from './dataset.js';
import type { PgBackRest, PostgresCommandRunner } from './pgbackrest.js';

export interface Verification {
  backup: string;
  restoreMs: number;
  comparison: RestoreVerification & { tables: TableComparison[] };
  ok: boolean;
}

export async function verifyRestore(o: {
  backrest: PgBackRest;
  run: PostgresCommandRunner;
  source: PgBackupController;
  scratch: {
    readonly spec: { pgdata: string; port: number; settings?: Readonly<Record<string, string>> | undefined };
    connection(): PgConnection;
    start(timeoutMs: number, signal: AbortSignal): Promise<void>;
    stop(graceMs: number): Promise<void>;
    removeDataDirectory(): void | Promise<void>;
  };
  timeoutMs: number;
  signal: AbortSignal;
  log: LogFn;
}): Promise<Verification> {
  const { scratch } = o;
  const backup: BackupInfo | undefined = await o.source.latestBackup(o.signal);
  const t0 = performance.now();
  await scratch.removeDataDirectory();
  try {
    await o.backrest.command(
      ['restore', '--type=default', `--pg1-path=${scratch.spec.pgdata}`, '--archive-mode=off'],
      o.timeoutMs,
      o.signal,
    );
    // Over the restored postgresql.auto.conf: the source's port and archive_command are not its own.
    scratch.spec.settings = { port: String(scratch.spec.port), archive_mode: 'off' };
    await scratch.start(o.timeoutMs, o.signal);
    const restoreMs = performance.now() - t0;
    const tables = o.source.reference.map((r) => r.table);
    const found = await tableChecksums(scratch.connection(), tables, o.signal);
    const { tables: compared, verification } = compareChecksums(o.source.reference, found);
    const comparison = { ...verification, tables: compared };
    const ok = comparison.checksumMismatches === 0 && comparison.rowsLost === 0;
    o.log(
      `postgres-backup: restore verification of ${backup?.label}: ${comparison.rowsMatched} of ${comparison.rowsCompared} rows matched in ${Math.round(restoreMs)}ms`,
    );
    return { backup: backup?.label ?? '(none)', restoreMs, comparison, ok };
  } finally {
    await scratch.stop(10_000);
    await scratch.removeDataDirectory();
  }
}
