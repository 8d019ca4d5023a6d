// The data a backup must bring back: a table filled to a stated size (dataSize), and the
// checksums that a restore is compared with. Random payloads, so pgBackRest's lz4 cannot shrink
// the restore to nothing and the measured throughput is that of real bytes.

import type { PgConnection } from '../../src/stacks/postgres.js';
import { checksumSql, type TableChecksum } from '../../src/stacks/postgres-backup.js';
import { queryOnce } from '../../src/stacks/postgres-client.js';

export const DATA_TABLE = 'backup_data';
/** Rows per INSERT … SELECT: about 5 MB each, so the size is met within one batch. */
const BATCH_ROWS = 20_000;

export interface Loaded {
  table: string;
  rows: number;
  /** pg_total_relation_size of the table (heap, index, TOAST). */
  bytes: number;
  loadMs: number;
}

/** Creates DATA_TABLE and inserts batches until it takes at least `bytes` on disk. */
export async function loadData(conn: PgConnection, bytes: number, signal: AbortSignal): Promise<Loaded> {
  const t0 = performance.now();
  const q = (sql: string, timeoutMs = 120_000) =>
    queryOnce<Record<string, string>>(conn, sql, [], { timeoutMs, signal });
  await q(`drop table if exists ${DATA_TABLE}`);
  await q(
    `create table ${DATA_TABLE} (id bigint primary key, account int not null, amount numeric(18,2) not null, payload text not null)`,
  );
  let rows = 0;
  let size = 0;
  while (size < bytes) {
    await q(
      `insert into ${DATA_TABLE} select i, (random() * 100000)::int, round((random() * 1e6)::numeric, 2), ` +
        `md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) ` +
        `from generate_series(${rows + 1}, ${rows + BATCH_ROWS}) i`,
    );
    rows += BATCH_ROWS;
    const r = await q(`select pg_total_relation_size('${DATA_TABLE}') as s`);
    size = Number(r[0]?.s ?? 0);
  }
  await q('checkpoint');
  return { table: DATA_TABLE, rows, bytes: size, loadMs: performance.now() - t0 };
}

/** Row count and md5 of ordered rows of each table; a missing table gives rows -1 and md5 ''. */
export async function tableChecksums(
  conn: PgConnection,
  tables: readonly string[],
  signal: AbortSignal,
  timeoutMs = 120_000,
): Promise<TableChecksum[]> {
  const out: TableChecksum[] = [];
  for (const table of tables) {
    const exists = await queryOnce<{ t: string | null }>(conn, 'select to_regclass($1)::text as t', [table], {
      timeoutMs: 10_000,
      signal,
    });
    if (!exists[0]?.t) {
      out.push({ table, rows: -1, md5: '' });
      continue;
    }
    const r = await queryOnce<{ rows: string; md5: string }>(conn, checksumSql(table), [], {
      timeoutMs,
      signal,
    });
    out.push({ table, rows: Number(r[0]?.rows ?? 0), md5: r[0]?.md5 ?? '' });
  }
  return out;
}
