// sqlite-s3 on the containers provider, against the real engine and chaos-harness/node.
// Skips (saying why) only where no Docker engine answers or the image was never built.
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3ClientFor } from '../../src/actions/s3-client.js';
import { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import { SQLITE_S3 } from '../../src/stacks/sqlite-s3.js';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../../src/testing/containers.js';
import { testContext } from '../../src/testing/test-context.js';
import { waitFor } from '../../src/testing/wait.js';
import { NODE_IMAGE } from './containers.js';
import environment, { sqliteS3Options } from './environment.js';
import { postTrade } from './test-context.js';

const { docker, skip } = await engineForTests('sqlite-s3 containers test', [NODE_IMAGE]);

describe.skipIf(skip !== undefined)('sqlite-s3 on the containers provider', () => {
  it('serves trades from a container on a host-path database, backs up to the s3 container, leaves nothing', async () => {
    using ctx = testContext('sqlite-s3', dirname(fileURLToPath(import.meta.url)));
    ctx.provider = 'containers';
    {
      await using runtime = await ContainerRuntime.open(ctx.runId);
      ctx.containers = runtime;
      await using env = await environment.start(ctx, sqliteS3Options.parse({ backupIntervalMs: 200 }));
      expect(env.info).toMatchObject({ provider: 'containers', network: runtime.network, sqlite: /^3\./ });
      const store = env.services.get('trade-store')!;
      expect(store.id()).toMatch(/^container [0-9a-f]{12}$/);
      expect(env.services.get('s3')?.id()).toMatch(/^container [0-9a-f]{12}$/);

      const { host, port } = store.endpoints.http!;
      const base = `http://${host}:${port}`;
      expect(await postTrade(base, 't-1')).toBe(201);
      expect(await postTrade(base, 't-1')).toBe(409);
      const got = await fetch(`${base}/trades/t-1`);
      expect(got.status).toBe(200);
      expect(((await got.json()) as { id: string }).id).toBe('t-1');

      // The container wrote the database at the host path, as the harness's own user.
      const db = store.dataPaths.db!;
      expect(db.startsWith(ctx.workDir)).toBe(true);
      expect(statSync(db).uid).toBe(process.getuid?.());

      const ext = env.extensions.get(SQLITE_S3)!;
      expect(ext.s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const s3 = s3ClientFor(ext.s3);
      try {
        const keys = await waitFor(
          'a backup object in S3',
          async () => {
            const list = await s3.send(
              new ListObjectsV2Command({ Bucket: ext.s3.bucket, Prefix: ext.s3.prefix }),
            );
            return list.Contents?.length ? list.Contents : undefined;
          },
          10_000,
          100,
        );
        expect(keys[0]?.Key).toMatch(/^trade-store\/\d{4}-.*\.db$/);
      } finally {
        s3.destroy();
      }
      expect((await runLeftovers(docker!, ctx.runId)).containers).toHaveLength(2);
    }
    expect(await runLeftovers(docker!, ctx.runId)).toEqual(NOTHING_LEFT);
  }, 60_000);
});
