// postgres-backup on the containers provider, against the real engine, chaos-harness/postgres
// (with pgbackrest) and chaos-harness/node. Skips (saying why) only where no Docker engine answers
// or the images were never built.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { postgresRestore, postgresRestoreParams } from '../../src/actions/postgres-restore.js';
import { postgresDestroy, postgresDestroyParams } from '../../src/injectors/postgres-destroy.js';
import { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import { PG_BACKUP } from '../../src/stacks/postgres-backup.js';
import { queryOnce } from '../../src/stacks/postgres-client.js';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../../src/testing/containers.js';
import { testContext } from '../../src/testing/test-context.js';
import { NODE_IMAGE, PG_IMAGE } from './container-postgres.js';
import environment, { postgresBackupOptions } from './environment.js';

const { docker, skip } = await engineForTests('postgres-backup containers test', [PG_IMAGE, NODE_IMAGE]);

describe.skipIf(skip !== undefined)('postgres-backup on the containers provider', () => {
  it('backs up to the s3 container, restores a removed data directory in the database container, leaves nothing', async () => {
    using ctx = testContext('postgres-backup', dirname(fileURLToPath(import.meta.url)));
    ctx.provider = 'containers';
    {
      await using runtime = await ContainerRuntime.open(ctx.runId);
      ctx.containers = runtime;
      await using env = await environment.start(ctx, postgresBackupOptions.parse({ dataSize: '3MB' }));
      expect(env.info).toMatchObject({
        provider: 'containers',
        network: runtime.network,
        versions: { postgres: expect.stringMatching(/^15\./), pgbackrest: 'pgBackRest 2.45' },
        restoreVerification: { result: 'match', rowsLost: 0 },
      });
      const pg = env.services.get('postgres')!;
      expect(pg.id()).toMatch(/^container [0-9a-f]{12}$/);
      expect(env.services.get('s3')?.id()).toMatch(/^container [0-9a-f]{12}$/);
      expect((await runLeftovers(docker!, ctx.runId)).containers).toHaveLength(2);

      const ext = env.extensions.get(PG_BACKUP)!;
      const conn = ext.connection();
      await queryOnce(conn, 'create table after_backup (id int primary key)');
      await queryOnce(conn, 'insert into after_backup select generate_series(1, 300)');
      await queryOnce(conn, 'select pg_switch_wal()');
      await new Promise((r) => setTimeout(r, 1500));

      const rctx = ctx.runContext(env);
      const injectStartMs = rctx.clock.now();
      const fault = await postgresDestroy.inject(rctx, postgresDestroyParams.parse({}), {});
      expect(fault.details.removed).toBe('container postgres:/var/lib/postgresql/backup/data');
      expect(fault.details.killed).toMatch(/^pids \d+(\/\d+)* in container /);
      expect(pg.running()).toBe(false);
      await expect(queryOnce(conn, 'select 1', [], { timeoutMs: 1000 })).rejects.toThrow();

      const r = await postgresRestore.run(rctx, postgresRestoreParams.parse({}), {
        fault,
        injectStartMs,
        detection: () => undefined,
      });
      expect(r.verification).toMatchObject({ rowsLost: 0, checksumMismatches: 0 });
      const [n] = await queryOnce<{ n: string }>(conn, 'select count(*) as n from after_backup');
      expect(Number(n?.n)).toBe(300);
    }
    expect(await runLeftovers(docker!, ctx.runId)).toEqual(NOTHING_LEFT);
  }, 240_000);
});
