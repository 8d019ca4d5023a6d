import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3ClientFor } from '../../src/actions/s3-client.js';
import { dataFilesOf } from '../../src/core/data-files.js';
import { markedProcesses } from '../../src/providers/local/run-registry.js';
import { SQLITE_S3 } from '../../src/stacks/sqlite-s3.js';
import { postTrade, startTestStack } from './test-context.js';

describe('sqlite-s3 environment', () => {
  it('serves trades, uploads snapshots into runDir, and leaves no process after dispose', async () => {
    let runId = '';
    let runDir = '';
    {
      await using stack = await startTestStack({ backupIntervalMs: 200 });
      ({ runId, runDir } = stack);
      const store = stack.env.services.get('trade-store')!;
      const { host, port } = store.endpoints.http!;
      const base = `http://${host}:${port}`;
      expect(await postTrade(base, 't-1')).toBe(201);
      expect(await postTrade(base, 't-1')).toBe(409);
      const got = await fetch(`${base}/trades/t-1`);
      expect(got.status).toBe(200);
      expect(((await got.json()) as { id: string }).id).toBe('t-1');
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect(dataFilesOf(store).get('db').location).toBe(join(stack.workDir, 'trade-store', 'trades.db'));
      expect(markedProcesses(runId).length).toBeGreaterThan(0);

      await sleep(700);
      const ext = stack.env.extensions.get(SQLITE_S3)!;
      const s3 = s3ClientFor(ext.s3);
      const list = await s3.send(new ListObjectsV2Command({ Bucket: ext.s3.bucket, Prefix: ext.s3.prefix }));
      s3.destroy();
      expect(list.Contents?.length ?? 0).toBeGreaterThanOrEqual(2);
      // s3rver keeps objects as files under its directory, which lives in the run directory.
      expect(readdirSync(join(runDir, 's3')).length).toBeGreaterThan(0);
      expect(existsSync(join(runDir, 's3', ext.s3.bucket))).toBe(true);
    }
    expect(markedProcesses(runId)).toEqual([]);
  });
});
