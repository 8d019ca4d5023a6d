import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { backupKey } from '../../environments/sqlite-s3/backup-agent.js';
import { postTrade, startTestStack, type TestStack } from '../../environments/sqlite-s3/test-context.js';
import { dataFilesOf } from '../core/data-files.js';
import { HarnessError } from '../core/errors.js';
import { corruptFile, fileCorruptParams } from '../injectors/file-corrupt.js';
import { checkSqliteDataFile } from '../probes/sqlite-integrity.js';
import { SQLITE_S3 } from '../stacks/sqlite-s3.js';
import { restoreFromS3, restoreFromS3Params } from './restore-from-s3.js';
import { s3ClientFor } from './s3-client.js';

async function fill(stack: TestStack, n: number): Promise<void> {
  const { host, port } = stack.env.services.get('trade-store')!.endpoints.http!;
  const base = `http://${host}:${port}`;
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, (_, j) => postTrade(base, `fill-${i + j}`));
    expect(new Set(await Promise.all(batch))).toEqual(new Set([201]));
  }
}

/** Candidates and replacement files the restore may have left in the work and data directories. */
function leftovers(stack: TestStack): string[] {
  const dataDir = join(stack.workDir, 'trade-store');
  return [
    ...readdirSync(stack.workDir).filter((f) => f.startsWith('restore-candidate')),
    ...readdirSync(dataDir).filter((f) => f.includes('.replace-')),
  ];
}

const noDetect = restoreFromS3Params.parse({ waitForDetection: false, s3Timeout: 3000 });

describe('restore-from-s3', () => {
  it('restores a damaged database from the newest good backup, skipping a damaged newer one', async () => {
    await using stack = await startTestStack({ backupIntervalMs: 200 });
    await fill(stack, 3000);
    await sleep(600);
    const store = stack.env.services.get('trade-store')!;
    const file = dataFilesOf(store).get('db');
    const ext = stack.env.extensions.get(SQLITE_S3)!;
    // A damaged backup that sorts newer than every real one.
    const s3 = s3ClientFor(ext.s3);
    const junk = Buffer.alloc(64 * 1024, 0xab);
    junk.write('SQLite format 3\0', 0, 'latin1');
    const badKey = backupKey(ext.s3.prefix, new Date(Date.now() + 3_600_000), 999_999);
    await s3.send(new PutObjectCommand({ Bucket: ext.s3.bucket, Key: badKey, Body: junk }));
    s3.destroy();

    const d = await corruptFile(file, fileCorruptParams.parse({ mode: 'pages', seed: 3, pages: 8 }));
    expect(d.writes).toHaveLength(8);
    expect((await checkSqliteDataFile(file, 'full')).ok).toBe(false);

    const res = await restoreFromS3.run(
      stack.ctx,
      restoreFromS3Params.parse({ detectTimeout: 10_000 }),
      stack.incident(),
    );
    expect(res.steps.map((s) => s.name)).toEqual([
      'detect',
      'stop-service',
      'list-backups',
      'fetch-and-verify',
      'replace-file',
      'start-service',
      'wait-healthy',
    ]);
    for (const s of res.steps) expect(s.endMs).toBeGreaterThanOrEqual(s.startMs);
    expect(res.details?.detected).toBe(true);
    // The agent may also have uploaded snapshots of the damaged file before the stop; those are skipped too.
    const skipped = res.details?.skipped as { key: string; error: string }[];
    expect(skipped[0]).toEqual({ key: badKey, error: expect.any(String) });
    expect(res.details?.backupKey).not.toBe(badKey);
    expect(await checkSqliteDataFile(file, 'full')).toEqual({ ok: true });
    expect(store.running()).toBe(true);
    const { host, port } = store.endpoints.http!;
    expect((await fetch(`http://${host}:${port}/trades/fill-0`)).status).toBe(200);
    expect(leftovers(stack)).toEqual([]);
  });

  it('fails with "no backup to restore" when the bucket is empty', async () => {
    await using stack = await startTestStack({ backupIntervalMs: 0 });
    const err = await restoreFromS3.run(stack.ctx, noDetect, stack.incident()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe('RECOVERY_FAILED');
    expect((err as Error).message).toMatch(/no backup to restore/);
  });

  it('fails clearly when every backup is damaged', async () => {
    await using stack = await startTestStack({ backupIntervalMs: 0 });
    const ext = stack.env.extensions.get(SQLITE_S3)!;
    const s3 = s3ClientFor(ext.s3);
    for (let i = 0; i < 2; i++) {
      const key = backupKey(ext.s3.prefix, new Date(Date.now() + i), i);
      await s3.send(
        new PutObjectCommand({ Bucket: ext.s3.bucket, Key: key, Body: Buffer.alloc(8192, i + 1) }),
      );
    }
    s3.destroy();
    const err = await restoreFromS3.run(stack.ctx, noDetect, stack.incident()).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/all 2 newest backup\(s\) .* fail integrity_check/);
  });

  it('fails clearly when S3 is down, leaving the service stopped and no temporary file', async () => {
    await using stack = await startTestStack({ backupIntervalMs: 0 });
    await stack.env.services.get('s3')!.stop();
    const store = stack.env.services.get('trade-store')!;
    const err = await restoreFromS3.run(stack.ctx, noDetect, stack.incident()).catch((e: unknown) => e);
    expect((err as HarnessError).code).toBe('RECOVERY_FAILED');
    expect((err as Error).message).toMatch(/listing backups at http:\/\/127\.0\.0\.1:\d+.*ECONNREFUSED/);
    expect(store.running()).toBe(false);
    expect(leftovers(stack)).toEqual([]);
  });
});
