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
import type { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import { resolveTarget } from '../../src/providers/local/local-environment.js';
import type { EnvironmentModule, EnvironmentStartContext } from '../../src/providers/provider.js';
import { byteSize } from '../../src/scenario/byte-size.js';
import { MAX_TIMER_MS } from '../../src/scenario/duration.js';
import type { PgConnection } from '../../src/stacks/postgres.js';
import { POSTGRES } from '../../src/stacks/postgres.js';
import { PG_BACKUP } from '../../src/stacks/postgres-backup.js';
import { queryOnce } from '../../src/stacks/postgres-client.js';
import {
  CONTAINER_HOME,
  ContainerPostgres,
  containerCommandRunner,
  NODE_IMAGE,
  PG_IMAGE,
  postgresContainer,
  s3Service,
} from './container-postgres.js';
import { loadData } from './dataset.js';
import { HOST, LocalPostgres, localCommandRunner, PG_BIN, postgresDir } from './local-postgres.js';
import {
  archiveSettings,
  PgBackRest,
  type PgBackRestPaths,
  type PostgresCommandRunner,
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

function postgresConf(paths: PgBackRestPaths, o: PostgresBackupOptions, listen: string): string {
  return [
    `port = ${paths.pgPort}`,
    `listen_addresses = '${listen}'`,
    `unix_socket_directories = '${paths.socketDir}'`,
    'wal_level = replica',
    'max_wal_senders = 0',
    'max_connections = 50',
    'shared_buffers = 64MB',
    ...archiveSettings(paths.config, o.archiveTimeoutMs, true),
    '',
  ].join('\n');
}

/** The database server as both providers run it (LocalPostgres, ContainerPostgres). */
interface PgServer {
  readonly spec: { pgdata: string; port: number; settings?: Readonly<Record<string, string>> | undefined };
  readonly running: boolean;
  connection(): PgConnection;
  id(): string | undefined;
  start(timeoutMs: number, signal: AbortSignal): Promise<void>;
  stop(graceMs: number): Promise<void>;
  kill(): Promise<string>;
  removeDataDirectory(): void | Promise<void>;
}

/** Where the provider put the services: what the provider-neutral bring-up works with. */
interface Placed {
  paths: PgBackRestPaths;
  run: PostgresCommandRunner;
  pg: PgServer;
  scratch: PgServer;
  s3: StartedService;
  s3Url: string;
  dataLocation: string;
  writeAutoConf(text: string): Promise<void>;
  info: Record<string, unknown>;
}

function runtimeOf(ctx: EnvironmentStartContext): ContainerRuntime | undefined {
  if (ctx.provider !== 'containers') return undefined;
  if (!ctx.containers)
    throw new HarnessError('INTERNAL', 'the containers provider started postgres-backup without a runtime');
  return ctx.containers;
}

function pathsIn(home: string, pgPort: number, configDir: string): PgBackRestPaths {
  return {
    config: join(configDir, 'pgbackrest.conf'),
    pgdata: join(home, 'data'),
    pgPort,
    socketDir: join(home, 'sock'),
    stateDir: join(home, 'state'),
  };
}

const STATE_DIRS = (p: PgBackRestPaths) => [
  p.socketDir,
  p.stateDir,
  ...['lock', 'log', 'spool'].map((x) => join(p.stateDir, x)),
];

async function placeLocally(
  ctx: EnvironmentStartContext,
  o: PostgresBackupOptions,
  cleanup: (() => Promise<void>)[],
): Promise<Placed> {
  const home = join(ctx.workDir, 'pg');
  postgresDir(home);
  const paths = pathsIn(home, await ctx.freePort(), home);
  for (const d of STATE_DIRS(paths)) postgresDir(d);
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
  const spec = (name: string, pgdata: string, port: number, logFile: string) => ({
    name,
    pgdata,
    port,
    socketDir: paths.socketDir,
    home,
    logFile: join(ctx.runDir, logFile),
    runId: ctx.runId,
  });
  const pg = new LocalPostgres(spec(SERVICE, paths.pgdata, paths.pgPort, 'postgres.log'));
  // Stopped before s3rver (cleanup runs in reverse): a last archive-push may still be talking to it.
  cleanup.push(() => pg.stop(10_000));
  return {
    paths,
    run: localCommandRunner(ctx.runId, home),
    pg,
    scratch: new LocalPostgres(
      spec(`${SERVICE}-verify`, join(home, 'verify'), await ctx.freePort(), 'postgres-verify.log'),
    ),
    s3,
    s3Url: `https://127.0.0.1:${repo.port}/${BUCKET}${repo.path}`,
    dataLocation: paths.pgdata,
    writeAutoConf: async (text) => writeFileSync(join(paths.pgdata, 'postgresql.auto.conf'), text),
    info: { s3DataDir: s3Dir },
  };
}

async function placeInContainers(
  ctx: EnvironmentStartContext,
  rt: ContainerRuntime,
  o: PostgresBackupOptions,
  cleanup: (() => Promise<void>)[],
): Promise<Placed> {
  await rt.requireImages([PG_IMAGE, NODE_IMAGE]);
  const configDir = join(ctx.workDir, 'pgconf');
  mkdirSync(configDir, { recursive: true, mode: 0o755 });
  const tlsDir = join(ctx.workDir, 'tls');
  mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const s3Dir = join(ctx.runDir, 's3');
  mkdirSync(s3Dir, { recursive: true });
  const s3Port = await ctx.freePort();
  const s3 = s3Service(rt, {
    name: S3_SERVICE,
    port: s3Port,
    dir: s3Dir,
    tls: makeCertificate(tlsDir, [S3_SERVICE, '127.0.0.1']),
    bucket: BUCKET,
    envDir: ctx.dir,
    logFile: join(ctx.runDir, 's3.log'),
  });
  cleanup.push(() => s3[Symbol.asyncDispose]());
  await s3.start(ctx.signal);
  const paths = pathsIn(CONTAINER_HOME, await ctx.freePort(), configDir);
  const verifyPort = await ctx.freePort();
  const repo: S3Repo = { host: S3_SERVICE, port: s3Port, bucket: BUCKET, path: `/${STANZA}`, ...KEYS };
  writeFileSync(paths.config, pgBackRestConfig(paths, repo, { processMax: o.processMax }), { mode: 0o644 });
  const c = postgresContainer(rt, {
    name: SERVICE,
    ports: [paths.pgPort, verifyPort],
    configDir,
    logFile: join(ctx.runDir, 'postgres-container.log'),
  });
  cleanup.push(() => c.remove());
  await c.start();
  if (c.startError && !c.running) throw c.startError;
  const pg = new ContainerPostgres(c, { name: SERVICE, pgdata: paths.pgdata, port: paths.pgPort });
  cleanup.push(() => pg.stop(10_000));
  const run = containerCommandRunner(c);
  const mk = await run(['mkdir', '-p', ...STATE_DIRS(paths)], {
    timeoutMs: 10_000,
    signal: ctx.signal,
    name: 'mkdir',
  });
  if (mk.code !== 0)
    throw new HarnessError('NOT_READY', `postgres-backup: mkdir in the container failed: ${mk.output}`);
  return {
    paths,
    run,
    pg,
    scratch: new ContainerPostgres(c, {
      name: `${SERVICE}-verify`,
      pgdata: join(CONTAINER_HOME, 'verify'),
      port: verifyPort,
    }),
    s3,
    s3Url: `https://127.0.0.1:${s3Port}/${BUCKET}${repo.path} (https://${S3_SERVICE}:${s3Port} in the network)`,
    dataLocation: `container ${SERVICE}:${paths.pgdata}`,
    writeAutoConf: async (text) => {
      const r = await run(
        ['sh', '-c', 'printf %s "$1" > "$2"', 'sh', text, join(paths.pgdata, 'postgresql.auto.conf')],
        {
          timeoutMs: 10_000,
          signal: ctx.signal,
          name: 'write postgresql.auto.conf',
        },
      );
      if (r.code !== 0)
        throw new HarnessError(
          'NOT_READY',
          `postgres-backup: could not write postgresql.auto.conf: ${r.output}`,
        );
    },
    info: {
      network: rt.network,
      images: { [PG_IMAGE]: rt.images[PG_IMAGE], [NODE_IMAGE]: rt.images[NODE_IMAGE] },
      s3DataDir: s3Dir,
    },
  };
}

async function start(ctx: EnvironmentStartContext, o: PostgresBackupOptions): Promise<StartedEnvironment> {
  const rt = runtimeOf(ctx);
  if (!rt) checkBinaries();
  const t0 = ctx.clock.now();
  const cleanup: (() => Promise<void>)[] = [];
  const disposeAll = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    cleanup.length = 0;
  };
  try {
    const placed = rt ? await placeInContainers(ctx, rt, o, cleanup) : await placeLocally(ctx, o, cleanup);
    const { paths, run, pg, scratch } = placed;
    const initdb = await run(
      [`${PG_BIN}/initdb`, '-D', paths.pgdata, '-A', 'trust', '-U', 'postgres', '--no-sync'],
      { timeoutMs: 60_000, signal: ctx.signal, name: 'initdb' },
    );
    if (initdb.code !== 0)
      throw new HarnessError(
        'NOT_READY',
        `postgres-backup: initdb exited with code ${initdb.code}: ${initdb.output.slice(-500)}`,
      );
    // postgres reads postgresql.auto.conf last: our settings win over initdb's and survive a restore.
    await placed.writeAutoConf(postgresConf(paths, o, rt ? '*' : HOST));
    const backend: PgBackend = {
      connection: () => pg.connection(),
      running: () => pg.running,
      id: () => pg.id(),
      start: (ms, signal) => pg.start(ms, signal),
      stop: (ms) => pg.stop(ms),
      kill: () => pg.kill(),
      removeDataDirectory: async () => pg.removeDataDirectory(),
      dataLocation: placed.dataLocation,
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
    await backrest.command(['check'], 60_000, ctx.signal);

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
          scratch,
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
    const version = await queryOnce<{ v: string }>(
      pg.connection(),
      "select current_setting('server_version') as v",
      [],
      {
        signal: ctx.signal,
      },
    );
    const pgbr = await run(['pgbackrest', 'version'], {
      timeoutMs: 10_000,
      signal: ctx.signal,
      name: 'pgbackrest version',
    });
    const bringUpMs = ctx.clock.now() - t0;
    ctx.log(
      `postgres-backup up in ${Math.round(bringUpMs)}ms: postgres 127.0.0.1:${paths.pgPort}, S3 ${placed.s3Url}`,
    );

    const services = new Map<string, StartedService>([
      [SERVICE, stack],
      [S3_SERVICE, placed.s3],
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
        archive: `pgbackrest archive-push, archive_timeout ${o.archiveTimeoutMs} ms`,
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
        s3: placed.s3Url,
        ...placed.info,
      },
      extensions: new Extensions(
        provide(POSTGRES, stack),
        provide(PG_BACKUP, stack),
        provide(WAIT_HEALTHY, (signal: AbortSignal) => stack.waitHealthy(signal)),
      ),
      resolve: (target: TargetSelector, signal?: AbortSignal): Promise<StartedService> =>
        resolveTarget(ctx.name, services, target, signal, stack),
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
  providers: ['local', 'containers'],
  services: () => [
    { name: SERVICE, roles: ['primary'] },
    { name: S3_SERVICE, roles: ['backup-store'] },
  ],
  start,
};
export default environment;
