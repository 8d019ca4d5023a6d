// One PostgreSQL 15 whose base backups and continuous WAL archive go to S3 through pgBackRest
// (claims row 6: "daily backups, automated restore verification, RTO 4 h, RPO 1 h"). Bring-up loads
// `dataSize` of data, takes a full backup, and (verifyRestore) restores it into a scratch
// instance and compares row counts and checksums with the source.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HarnessError } from '../../src/core/errors.js';
import { Extensions, provide, WAIT_HEALTHY } from '../../src/core/extensions.js';
import type { StartedEnvironment, StartedService, TargetSelector } from '../../src/core/types.js';
import type { EnvironmentModule, EnvironmentStartContext } from '../../src/providers/provider.js';
import { byteSize } from '../../src/scenario/byte-size.js';
import { MAX_TIMER_MS } from '../../src/scenario/duration.js';
import { POSTGRES } from '../../src/stacks/postgres.js';
import { PG_BACKUP } from '../../src/stacks/postgres-backup.js';
import { queryOnce } from '../../src/stacks/postgres-client.js';
import { loadData } from './dataset.js';
import { HOST, LocalPostgres, localCommandRunner, PG_BIN, postgresDir } from './local-postgres.js';
import {
  archiveSettings,
  PgBackRest,
  type PgBackRestPaths,
  pgBackRestConfig,
  type S3Repo,
  STANZA,
} from './pgbackrest.js';
import { BackupStack, type PgBackend } from './stack.js';
import { LocalTlsS3, makeCertificate } from './tls-s3.js';
import { verifyRestore } from './verify-restore.js';

const timeout = z.number().int().positive().max(MAX_TIMER_MS);

export const postgresBackupOptions = z
  .object({
    /** Data loaded into the database before the base backup (what a restore brings back). */
    dataSize: byteSize(1_000_000, 20e9).default(50_000_000),
    /** WAL archiving to S3; off: only the base backup exists (a negative control of RPO). */
    archive: z.boolean().default(true),
    /** archive_timeout: a WAL segment is archived at least this often while anything is written. */
    archiveTimeoutMs: z.number().int().min(1000).max(3_600_000).default(1000),
    /** Restore the new backup into a scratch instance at bring-up and compare it with the source. */
    verifyRestore: z.boolean().default(true),
    /** pgBackRest processes for backup and restore. */
    processMax: z.number().int().min(1).max(8).default(2),
    readyTimeoutMs: timeout.default(30_000),
    backupTimeoutMs: timeout.default(600_000),
    restoreTimeoutMs: timeout.default(600_000),
  })
  .strict();

export type PostgresBackupOptions = z.infer<typeof postgresBackupOptions>;

const SERVICE = 'postgres';
const S3_SERVICE = 's3';
const BUCKET = 'pg-backups';
const KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1' };

function checkBinaries(): void {
  for (const [file, pkg] of [
    [`${PG_BIN}/postgres`, 'postgresql-15'],
    ['/usr/bin/pgbackrest', 'pgbackrest'],
  ] as const) {
    if (!existsSync(file))
      throw new HarnessError(
        'BINARY_MISSING',
        `postgres-backup: ${file} was not found: install the Debian package ${pkg} (apt-get install ${pkg})`,
      );
  }
}

function postgresConf(paths: PgBackRestPaths, o: PostgresBackupOptions): string {
  return [
    `port = ${paths.pgPort}`,
    `listen_addresses = '${HOST}'`,
    `unix_socket_directories = '${paths.socketDir}'`,
    'wal_level = replica',
    'max_wal_senders = 0',
    'max_connections = 50',
    'shared_buffers = 64MB',
    ...archiveSettings(paths.config, o.archiveTimeoutMs, o.archive),
    '',
  ].join('\n');
}

async function start(ctx: EnvironmentStartContext, o: PostgresBackupOptions): Promise<StartedEnvironment> {
  if (ctx.provider !== 'local')
    throw new HarnessError(
      'INVALID_INPUT',
      `postgres-backup: provider ${ctx.provider} is not supported yet; use --provider local`,
    );
  checkBinaries();
  const t0 = ctx.clock.now();
  const cleanup: (() => Promise<void>)[] = [];
  const disposeAll = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    cleanup.length = 0;
  };
  try {
    const home = join(ctx.workDir, 'pg');
    postgresDir(home);
    const paths: PgBackRestPaths = {
      config: join(home, 'pgbackrest.conf'),
      pgdata: join(home, 'data'),
      pgPort: await ctx.freePort(),
      socketDir: join(home, 'sock'),
      stateDir: join(home, 'state'),
    };
    for (const d of [
      paths.socketDir,
      paths.stateDir,
      ...['lock', 'log', 'spool'].map((x) => join(paths.stateDir, x)),
    ])
      postgresDir(d);

    const tlsDir = join(ctx.workDir, 'tls');
    mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
    const s3Dir = join(ctx.runDir, 's3');
    mkdirSync(s3Dir, { recursive: true });
    const s3 = new LocalTlsS3(S3_SERVICE, await ctx.freePort(), {
      dir: s3Dir,
      tls: makeCertificate(tlsDir, ['127.0.0.1']),
      bucket: BUCKET,
      envDir: ctx.dir,
      logFile: join(ctx.runDir, 's3.log'),
      runId: ctx.runId,
    });
    cleanup.push(() => s3.stop());
    await s3.start(ctx.signal);
    const repo: S3Repo = {
      host: '127.0.0.1',
      port: s3.endpoints.https!.port,
      bucket: BUCKET,
      path: `/${STANZA}`,
      ...KEYS,
    };
    writeFileSync(paths.config, pgBackRestConfig(paths, repo, { processMax: o.processMax }), { mode: 0o644 });

    const run = localCommandRunner(ctx.runId, home);
    const initdb = await run(
      [`${PG_BIN}/initdb`, '-D', paths.pgdata, '-A', 'trust', '-U', 'postgres', '--no-sync'],
      {
        timeoutMs: 60_000,
        signal: ctx.signal,
        name: 'initdb',
      },
    );
    if (initdb.code !== 0)
      throw new HarnessError(
        'NOT_READY',
        `postgres-backup: initdb exited with code ${initdb.code}: ${initdb.output.slice(-500)}`,
      );
    // postgres reads postgresql.auto.conf last: our settings win over initdb's and survive a restore.
    writeFileSync(join(paths.pgdata, 'postgresql.auto.conf'), postgresConf(paths, o));
    const pg = new LocalPostgres({
      name: SERVICE,
      pgdata: paths.pgdata,
      port: paths.pgPort,
      socketDir: paths.socketDir,
      home,
      logFile: join(ctx.runDir, 'postgres.log'),
      runId: ctx.runId,
    });
    const backend: PgBackend = {
      connection: () => pg.connection(),
      running: () => pg.running,
      id: () => pg.id(),
      start: (ms, signal) => pg.start(ms, signal),
      stop: (ms) => pg.stop(ms),
      kill: () => pg.kill(),
      removeDataDirectory: async () => pg.removeDataDirectory(),
      dataLocation: paths.pgdata,
    };
    const backrest = new PgBackRest(run, paths.config);
    const stack = new BackupStack(backend, backrest, {
      service: SERVICE,
      readyTimeoutMs: o.readyTimeoutMs,
      restoreTimeoutMs: o.restoreTimeoutMs,
      backupTimeoutMs: o.backupTimeoutMs,
    });
    // Stopped before s3rver: a last archive-push may still be talking to it.
    cleanup.push(() => pg.stop(10_000));
    await pg.start(o.readyTimeoutMs, ctx.signal);
    await backrest.command(['stanza-create'], 60_000, ctx.signal);
    if (o.archive) await backrest.command(['check'], 60_000, ctx.signal);

    const loaded = await loadData(pg.connection(), o.dataSize, ctx.signal);
    ctx.log(
      `postgres-backup: loaded ${loaded.rows} rows (${loaded.bytes} bytes) in ${Math.round(loaded.loadMs)}ms`,
    );
    stack.reference = await stack.checksums([loaded.table], ctx.signal);
    stack.loadedBytes = loaded.bytes;
    const b0 = ctx.clock.now();
    const backup = await stack.backup(ctx.signal);
    const backupMs = ctx.clock.now() - b0;

    const verification = o.verifyRestore
      ? await verifyRestore({
          backrest,
          run,
          source: stack,
          scratch: new LocalPostgres({
            name: `${SERVICE}-verify`,
            pgdata: join(home, 'verify'),
            port: await ctx.freePort(),
            socketDir: paths.socketDir,
            home,
            logFile: join(ctx.runDir, 'postgres-verify.log'),
            runId: ctx.runId,
          }),
          timeoutMs: o.restoreTimeoutMs,
          signal: ctx.signal,
          log: ctx.log,
        })
      : undefined;
    if (verification && !verification.ok) {
      throw new HarnessError(
        'NOT_READY',
        `postgres-backup: the restore verification of ${backup.label} did not match the source: ${JSON.stringify(verification.comparison.tables)}`,
      );
    }
    const version = await queryOnce<{ v: string }>(pg.connection(), 'show server_version', [], {
      signal: ctx.signal,
    });
    const pgbr = await run(['pgbackrest', 'version'], {
      timeoutMs: 10_000,
      signal: ctx.signal,
      name: 'pgbackrest version',
    });
    const bringUpMs = ctx.clock.now() - t0;
    ctx.log(
      `postgres-backup up in ${Math.round(bringUpMs)}ms: postgres ${HOST}:${paths.pgPort}, S3 https://127.0.0.1:${repo.port}/${BUCKET}`,
    );

    const services = new Map<string, StartedService>([
      [SERVICE, stack],
      [S3_SERVICE, s3],
    ]);
    return {
      name: ctx.name,
      runDir: ctx.runDir,
      workDir: ctx.workDir,
      services,
      info: {
        provider: ctx.provider,
        bringUpMs,
        topology:
          'one PostgreSQL 15 primary; pgBackRest full backups and WAL archive (archive-push) to S3 (s3rver over HTTPS)',
        versions: { postgres: version[0]?.v, pgbackrest: pgbr.output.trim() },
        archive: o.archive ? `on, archive_timeout ${o.archiveTimeoutMs} ms` : 'off (base backups only)',
        dataSize: o.dataSize,
        loaded: {
          table: loaded.table,
          rows: loaded.rows,
          bytes: loaded.bytes,
          loadMs: Math.round(loaded.loadMs),
        },
        baseBackup: { ...backup, tookMs: Math.round(backupMs) },
        restoreVerification: verification
          ? {
              backup: verification.backup,
              restoreMs: Math.round(verification.restoreMs),
              ...verification.comparison,
              result: verification.ok ? 'match' : 'MISMATCH',
            }
          : 'off',
        s3: `https://127.0.0.1:${repo.port}/${BUCKET}${repo.path}`,
        s3DataDir: s3Dir,
      },
      extensions: new Extensions(
        provide(POSTGRES, stack),
        provide(PG_BACKUP, stack),
        provide(WAIT_HEALTHY, (signal: AbortSignal) => stack.waitHealthy(signal)),
      ),
      async resolve(target: TargetSelector): Promise<StartedService> {
        if (target.service !== undefined) {
          const svc = services.get(target.service);
          if (!svc)
            throw new HarnessError('NO_SUCH_SERVICE', `postgres-backup has no service "${target.service}"`);
          return svc;
        }
        if (target.role !== undefined) {
          for (const svc of services.values()) if ((await svc.role()) === target.role) return svc;
          throw new HarnessError('NO_SUCH_ROLE', `no postgres-backup service has role "${target.role}"`);
        }
        return stack;
      },
      [Symbol.asyncDispose]: disposeAll,
    };
  } catch (err) {
    await disposeAll();
    throw err;
  }
}

const environment: EnvironmentModule<PostgresBackupOptions> = {
  description:
    'One PostgreSQL 15 with pgBackRest full backups and continuous WAL archiving to S3 (s3rver over HTTPS); loads dataSize of data and verifies a restore of its backup at bring-up',
  options: postgresBackupOptions,
  providers: ['local'],
  services: () => [
    { name: SERVICE, roles: ['primary'] },
    { name: S3_SERVICE, roles: ['backup-store'] },
  ],
  start,
};
export default environment;
