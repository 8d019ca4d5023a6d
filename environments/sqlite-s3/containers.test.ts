// sqlite-s3 on the containers provider, against the real engine and chaos-harness/node.
// Skips (saying why) only where no Docker engine answers or the image was never built.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { restoreFromS3, restoreFromS3Params } from '../../src/actions/restore-from-s3.js';
import { s3ClientFor } from '../../src/actions/s3-client.js';
import { dataFilesOf } from '../../src/core/data-files.js';
import { incidentFrom } from '../../src/core/incident.js';
import { corruptFile, fileCorrupt, fileCorruptParams } from '../../src/injectors/file-corrupt.js';
import { checkSqliteDataFile } from '../../src/probes/sqlite-integrity.js';
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
  it('serves trades from a container whose database is in its own volume, backs up to the s3 container, leaves nothing', async () => {
    using ctx = testContext('sqlite-s3', dirname(fileURLToPath(import.meta.url)));
    ctx.provider = 'containers';
    {
      await using runtime = await ContainerRuntime.open(ctx.runId);
      ctx.containers = runtime;
      await using env = await environment.start(ctx, sqliteS3Options.parse({ backupIntervalMs: 200 }));
      expect(env.info).toMatchObject({ provider: 'containers', network: runtime.network, sqlite: /^3\./ });
      expect(env.info.versions).toMatchObject({
        node: expect.stringMatching(/^v20\./),
        sqlite: expect.stringMatching(/^3\./),
      });
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

      // The database lives in the container's volume, not on the host: the harness reaches it
      // through the engine only.
      const db = dataFilesOf(store).get('db');
      expect(db.location).toBe(`chaos-harness-${ctx.runId}-trade-store:/data/trades.db`);
      expect(existsSync(join(ctx.workDir, 'trade-store'))).toBe(false);
      expect((await db.stat())?.size).toBeGreaterThan(1_000_000);

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

  it('file-corrupt, sqlite-integrity and restore-from-s3 act on the database in the container volume', async () => {
    using ctx = testContext('sqlite-s3', dirname(fileURLToPath(import.meta.url)));
    ctx.provider = 'containers';
    {
      await using runtime = await ContainerRuntime.open(ctx.runId);
      ctx.containers = runtime;
      await using env = await environment.start(ctx, sqliteS3Options.parse({ backupIntervalMs: 200 }));
      const run = ctx.runContext(env);
      const store = env.services.get('trade-store')!;
      const db = dataFilesOf(store).get('db');
      const { host, port } = store.endpoints.http!;
      const base = `http://${host}:${port}`;
      // Checks while the store writes (a WAL that grows, checkpoints that run): copies are
      // consistent, so none of them reports damage.
      let written = 0;
      const writer = (async () => {
        for (; written < 400; written++) expect(await postTrade(base, `w-${written}`)).toBe(201);
      })();
      const checks: string[] = [];
      while (written < 400) {
        const res = await checkSqliteDataFile(db, 'quick');
        checks.push(res.ok ? 'ok' : res.error);
      }
      await writer;
      expect(checks.length).toBeGreaterThan(3);
      expect(checks.filter((c) => c !== 'ok')).toEqual([]);

      const tInject = run.clock.now();
      const d = await corruptFile(db, fileCorruptParams.parse({ mode: 'pages', seed: 5, pages: 8 }));
      expect(d.file).toBe(db.location);
      expect(d.writes).toHaveLength(8);
      const damaged = await checkSqliteDataFile(db, 'quick');
      expect(damaged.ok).toBe(false);
      expect(!damaged.ok && damaged.error).not.toMatch(/chaos-harness-copy-/);

      const res = await restoreFromS3.run(
        run,
        restoreFromS3Params.parse({ detectTimeout: 10_000 }),
        incidentFrom(ctx.events, tInject),
      );
      expect(res.details?.detected).toBe(true);
      expect(await checkSqliteDataFile(db, 'full')).toEqual({ ok: true });
      expect((await fetch(`${base}/trades/w-0`)).status).toBe(200);

      // A crash with the WAL lost: removed from the stopped container's volume, by a helper.
      const fault = await fileCorrupt.inject(
        run,
        fileCorruptParams.parse({ mode: 'delete-wal', restart: 'kill' }),
        { service: 'trade-store' },
      );
      expect(fault.details.deleted).toEqual([db.sidecar('-wal').location, db.sidecar('-shm').location]);
      expect(store.running()).toBe(true);
      expect(await checkSqliteDataFile(db, 'full')).toEqual({ ok: true });
    }
    expect(await runLeftovers(docker!, ctx.runId)).toEqual(NOTHING_LEFT);
  }, 90_000);
});
