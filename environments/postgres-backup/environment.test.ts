import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLeftovers } from '../../src/providers/local/run-registry.js';
import { PG_BACKUP } from '../../src/stacks/postgres-backup.js';
import { queryOnce } from '../../src/stacks/postgres-client.js';
import { DATA_TABLE } from './dataset.js';
import { startTestStack } from './test-context.js';

describe('postgres-backup environment', () => {
  it('loads dataSize, backs it up to S3, verifies a restore of it, and leaves nothing running', async () => {
    let runId = '';
    {
      await using stack = await startTestStack({ dataSize: '5MB' });
      runId = stack.runId;
      const info = stack.env.info as {
        loaded: { bytes: number; rows: number };
        baseBackup: { type: string; bytes: number };
        restoreVerification: { result: string; rowsMatched: number; checksumMismatches: number };
        s3DataDir: string;
        versions: Record<string, string | undefined>;
      };
      expect(info.versions).toEqual({
        postgres: expect.stringMatching(/^15\./),
        pgbackrest: 'pgBackRest 2.45',
      });
      expect(info.loaded.bytes).toBeGreaterThanOrEqual(5_000_000);
      expect(info.loaded.rows).toBeGreaterThan(0);
      expect(info.baseBackup.type).toBe('full');
      expect(info.baseBackup.bytes).toBeGreaterThan(info.loaded.bytes);
      // The verification job restored into a scratch instance and compared with the source.
      expect(info.restoreVerification.result).toBe('match');
      expect(info.restoreVerification.rowsMatched).toBe(info.loaded.rows);
      expect(info.restoreVerification.checksumMismatches).toBe(0);
      const ext = stack.env.extensions.get(PG_BACKUP)!;
      expect(ext.reference).toEqual([
        { table: DATA_TABLE, rows: info.loaded.rows, md5: expect.stringMatching(/^[0-9a-f]{32}$/) },
      ]);
      // The repository lives in s3rver's directory under the run directory.
      expect(existsSync(join(info.s3DataDir, 'pg-backups'))).toBe(true);
      // WAL is archived: a segment switch shows up in pg_stat_archiver within archive_timeout.
      const conn = ext.connection();
      await queryOnce(conn, 'select pg_switch_wal()');
      let archived = 0;
      for (let i = 0; i < 50 && archived === 0; i++) {
        const r = await queryOnce<{ n: string; f: string }>(
          conn,
          'select archived_count as n, failed_count as f from pg_stat_archiver',
        );
        archived = Number(r[0]?.n);
        expect(Number(r[0]?.f)).toBe(0);
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(archived).toBeGreaterThan(0);
      expect(runLeftovers(runId).length).toBeGreaterThan(0);
      expect(readdirSync(stack.workDir)).toContain('pg');
    }
    expect(runLeftovers(runId)).toEqual([]);
  }, 120_000);
});
