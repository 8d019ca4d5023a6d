// The contract between a PostgreSQL stack with base backups and continuous WAL archiving
// (postgres-backup: pgBackRest to S3) and the kinds that destroy and restore it. They reach the
// database only through this extension, so another backup tool or provider plugs in with the
// same shape.

import { extensionKey } from '../core/extensions.js';
import type { RestoreVerification, StartedEnvironment } from '../core/types.js';
import type { PgConnection } from './postgres.js';

/** One table's content, as compared between a source and a restore. */
export interface TableChecksum {
  table: string;
  rows: number;
  /** md5 over the md5s of 10,000-row chunks of the rows in primary-key order. */
  md5: string;
}

/** A backup in the repository. */
export interface BackupInfo {
  label: string;
  type: string;
  /** Wall-clock ms (epoch) when the backup started and stopped. */
  startedAtMs: number;
  stoppedAtMs: number;
  /** Size of the database it restores, and what it takes in the repository (compressed). */
  bytes: number;
  repoBytes: number;
}

/** What a restore did, step by step (monotonic ms of the run's clock). */
export interface RestoreOutcome {
  /** `latest` (end of the archived WAL) or the ISO time it recovered to. */
  target: string;
  backup: BackupInfo;
  /** Fetching and writing the base backup into the data directory. */
  fetch: { startMs: number; endMs: number; detail: string };
  /** Starting postgres: WAL replayed from the archive, promoted, writable. */
  replay: { startMs: number; endMs: number; detail: string };
  /** Bytes of the restored data directory (what the throughput divides). */
  restoredBytes: number;
}

export interface PgBackupController {
  /** The database service (its name in the environment). */
  readonly service: string;
  /** Superuser connection to the database (trust auth). */
  connection(): PgConnection;
  /** The tables loaded at bring-up and their content then: what a restore must bring back. */
  readonly reference: readonly TableChecksum[];
  /** Bytes the loaded tables take in the database (pg_total_relation_size, summed). */
  readonly loadedBytes: number;
  /** The newest complete backup, or undefined when the repository has none. */
  latestBackup(signal: AbortSignal): Promise<BackupInfo | undefined>;
  /** A new base backup (full); resolves when it is in the repository. */
  backup(signal: AbortSignal): Promise<BackupInfo>;
  /** SIGKILL postgres and remove its data directory (a machine's disk lost, an rm -rf). */
  destroyDataDirectory(): Promise<Record<string, unknown>>;
  /**
   * Stop postgres if it runs, restore the newest backup into an empty data directory and replay
   * the archived WAL to `target` (`latest`, or an ISO time), then start it writable. Step times
   * come from `now` (the run's clock).
   */
  restore(
    target: 'latest' | { time: string },
    signal: AbortSignal,
    now?: () => number,
  ): Promise<RestoreOutcome>;
  /** Checksums of these tables on the running database (absent tables: rows -1, md5 ''). */
  checksums(tables: readonly string[], signal: AbortSignal): Promise<TableChecksum[]>;
}

export const PG_BACKUP = extensionKey<PgBackupController>('postgresBackup', 'PostgreSQL backups');

export function getPgBackup(
  env: StartedEnvironment,
  who: string,
  code: 'INVALID_INPUT' | 'RECOVERY_FAILED' = 'INVALID_INPUT',
): PgBackupController {
  return env.extensions.require(PG_BACKUP, {
    env: env.name,
    who,
    code,
    hint: 'use environment postgres-backup',
  });
}

/** The SQL giving one row {rows, md5} for a table with an `id` primary key, in bounded memory. */
export function checksumSql(table: string): string {
  return (
    `select coalesce(sum(n), 0)::bigint as rows, coalesce(md5(string_agg(h, '' order by c)), '') as md5 from (` +
    `select id / 10000 as c, md5(string_agg(t::text, E'\\n' order by id)) as h, count(*) as n ` +
    `from ${table} t group by 1) chunks`
  );
}

export interface TableComparison {
  table: string;
  expectedRows: number;
  /** -1: the table is missing. */
  foundRows: number;
  checksum: 'match' | 'MISMATCH';
}

/** Tables after a restore against their reference; rows matched counts tables whose checksum matches. */
export function compareChecksums(
  reference: readonly TableChecksum[],
  found: readonly TableChecksum[],
): { tables: TableComparison[]; verification: RestoreVerification } {
  const tables = reference.map((ref): TableComparison => {
    const f = found.find((x) => x.table === ref.table);
    return {
      table: ref.table,
      expectedRows: ref.rows,
      foundRows: f?.rows ?? -1,
      checksum: f !== undefined && f.md5 === ref.md5 ? 'match' : 'MISMATCH',
    };
  });
  return {
    tables,
    verification: {
      tablesCompared: tables.length,
      rowsCompared: tables.reduce((a, t) => a + t.expectedRows, 0),
      rowsMatched: tables.reduce((a, t) => a + (t.checksum === 'match' ? t.expectedRows : 0), 0),
      rowsLost: tables.reduce((a, t) => a + Math.max(0, t.expectedRows - Math.max(0, t.foundRows)), 0),
      checksumMismatches: tables.filter((t) => t.checksum !== 'match').length,
    },
  };
}
