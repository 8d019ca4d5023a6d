// SQLite trade store whose database is snapshotted to S3 every `backupIntervalMs`
// (claims row 5: "SQLite replicated continuously to S3, RPO < 1 h, RTO < 5 min").

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { type S3Location, s3ClientFor } from '../../src/actions/s3-client.js';
import { HarnessError } from '../../src/core/errors.js';
import { Extensions, provide } from '../../src/core/extensions.js';
import type { StartedEnvironment, StartedService, TargetSelector } from '../../src/core/types.js';
import { containerDataFiles } from '../../src/providers/containers/container-data-files.js';
import type { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import { localDataFiles } from '../../src/providers/local/local-data-files.js';
import { resolveTarget } from '../../src/providers/local/local-environment.js';
import { ManagedProcess } from '../../src/providers/local/managed-process.js';
import type { EnvironmentModule, EnvironmentStartContext } from '../../src/providers/provider.js';
import type { ServiceRunner } from '../../src/providers/service-runner.js';
import { MAX_TIMER_MS } from '../../src/scenario/duration.js';
import { SQLITE_S3, type SqliteS3Backups } from '../../src/stacks/sqlite-s3.js';
import {
  CONTAINER_DB,
  containerVersions,
  NODE_IMAGE,
  type S3Container,
  startS3Container,
  tradeStoreContainer,
} from './containers.js';
import { InProcessS3, TradeStoreService } from './services.js';

export const sqliteS3Options = z
  .object({
    /** How often the backup agent snapshots the database to S3; 0 disables backups. */
    backupIntervalMs: z.number().int().min(0).max(MAX_TIMER_MS).default(1000),
    /** Page cache of the service in KiB; keep it below the database size (see README). */
    cacheKiB: z
      .number()
      .int()
      .min(8)
      .max(1024 * 1024)
      .default(64),
    /** Trades written into a new database before the service starts serving (history). */
    seedTrades: z.number().int().min(0).max(10_000_000).default(20_000),
    readyTimeoutMs: z.number().int().positive().max(MAX_TIMER_MS).default(15_000),
    s3: z
      .object({
        /**
         * An existing S3/MinIO endpoint; absent: s3rver with its data in runDir, in the harness
         * (local provider) or in a container of its own (containers provider).
         */
        endpoint: z.url().optional(),
        bucket: z.string().min(3).max(63).default('trade-backups'),
        prefix: z.string().default('trade-store/'),
        region: z.string().default('us-east-1'),
        accessKeyId: z.string().default('S3RVER'),
        secretAccessKey: z.string().default('S3RVER'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type SqliteS3Options = z.infer<typeof sqliteS3Options>;

const SERVICE = 'trade-store';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function localVersions(): { node: string; sqlite: string } {
  const db = new Database(':memory:');
  try {
    return {
      node: process.version,
      sqlite: (db.prepare('select sqlite_version() v').get() as { v: string }).v,
    };
  } finally {
    db.close();
  }
}

async function ensureBucket(loc: S3Location, signal: AbortSignal): Promise<void> {
  const s3 = s3ClientFor(loc);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: loc.bucket }), { abortSignal: signal });
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') {
      throw new HarnessError('NOT_READY', `S3 bucket ${loc.bucket} at ${loc.endpoint} could not be created`, {
        cause: err,
      });
    }
  } finally {
    s3.destroy();
  }
}

function runtimeOf(ctx: EnvironmentStartContext): ContainerRuntime | undefined {
  if (ctx.provider !== 'containers') return undefined;
  if (!ctx.containers)
    throw new HarnessError('INTERNAL', 'the containers provider started sqlite-s3 without a runtime');
  return ctx.containers;
}

async function start(ctx: EnvironmentStartContext, options: SqliteS3Options): Promise<StartedEnvironment> {
  const t0 = ctx.clock.now();
  const services = new Map<string, StartedService>();
  const cleanup: (() => Promise<void>)[] = [];
  const disposeAll = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
    cleanup.length = 0;
  };
  try {
    const rt = runtimeOf(ctx);
    if (rt) {
      await rt.requireImages([NODE_IMAGE]);
      const given = options.s3.endpoint ? new URL(options.s3.endpoint).hostname : undefined;
      if (given && LOOPBACK.has(given))
        throw new HarnessError(
          'INVALID_INPUT',
          `sqlite-s3: s3.endpoint ${options.s3.endpoint} is a loopback address, which the trade-store container cannot reach; give an address it can, or no endpoint (s3rver then runs in a container)`,
        );
    }
    let s3: InProcessS3 | undefined;
    let s3c: S3Container | undefined;
    let endpoint = options.s3.endpoint;
    let s3DataDir: string | undefined;
    // The endpoint as the trade store sees it (another one in a container).
    let storeEndpoint = endpoint;
    if (!endpoint) {
      const dir = join(ctx.runDir, 's3');
      mkdirSync(dir, { recursive: true });
      s3DataDir = dir;
      if (rt) {
        s3c = await startS3Container(rt, {
          name: 's3',
          port: await ctx.freePort(),
          dir,
          logFile: join(ctx.runDir, 's3.log'),
          signal: ctx.signal,
        });
        const svc = s3c.service;
        cleanup.push(async () => svc[Symbol.asyncDispose]());
        services.set(svc.name, svc);
        endpoint = s3c.hostUrl;
        storeEndpoint = s3c.networkUrl;
      } else {
        s3 = await InProcessS3.start('s3', await ctx.freePort(), dir);
        cleanup.push(() => s3!.stop());
        services.set(s3.name, s3);
        endpoint = s3.url;
        storeEndpoint = endpoint;
      }
    }
    const loc: S3Location = { ...options.s3, endpoint };
    await ensureBucket(loc, AbortSignal.any([ctx.signal, AbortSignal.timeout(10_000)]));

    // Locally the database is a file of the work directory; in a container it is in the container's
    // volume (CONTAINER_DB, set by tradeStoreContainer).
    const dataDir = join(ctx.workDir, SERVICE);
    if (!rt) mkdirSync(dataDir, { recursive: true });
    const dbPath = join(dataDir, 'trades.db');
    const port = await ctx.freePort();
    const env = {
      TRADE_DB: dbPath,
      TRADE_PORT: String(port),
      TRADE_CACHE_KIB: String(options.cacheKiB),
      TRADE_SEED_ROWS: String(options.seedTrades),
      BACKUP_INTERVAL_MS: String(options.backupIntervalMs),
      S3_ENDPOINT: storeEndpoint ?? loc.endpoint,
      S3_BUCKET: loc.bucket,
      S3_PREFIX: loc.prefix,
      S3_REGION: loc.region,
      S3_ACCESS_KEY_ID: loc.accessKeyId,
      S3_SECRET_ACCESS_KEY: loc.secretAccessKey,
    };
    const logFile = join(ctx.runDir, `${SERVICE}.log`);
    const container = rt
      ? tradeStoreContainer(rt, { name: SERVICE, envDir: ctx.dir, port, env, logFile })
      : undefined;
    const runner: ServiceRunner =
      container ??
      new ManagedProcess({
        name: SERVICE,
        command: process.execPath,
        args: ['--import', 'tsx', join(ctx.dir, 'trade-store.ts')],
        cwd: ctx.dir,
        env,
        logFile,
        runId: ctx.runId,
      });
    const store = new TradeStoreService(
      SERVICE,
      runner,
      { host: '127.0.0.1', port },
      container
        ? containerDataFiles(SERVICE, container, { db: CONTAINER_DB })
        : localDataFiles(SERVICE, { db: dbPath }),
      options.readyTimeoutMs,
    );
    cleanup.push(() => store.stop());
    services.set(SERVICE, store);
    await store.start(ctx.signal);
    const bringUpMs = ctx.clock.now() - t0;
    ctx.log(`sqlite-s3 up in ${Math.round(bringUpMs)}ms: ${store.baseUrl}, S3 ${loc.endpoint}/${loc.bucket}`);
    const containerInfo =
      rt && container
        ? {
            provider: ctx.provider,
            network: rt.network,
            images: { [NODE_IMAGE]: rt.images[NODE_IMAGE] },
            s3InNetwork: storeEndpoint,
            ...(await containerVersions(container)),
          }
        : {};
    // Node and SQLite as the trade store runs them: its container's, or this process's (the same
    // node binary and better-sqlite3 module start the local trade store).
    const versions = rt && container ? await containerVersions(container) : localVersions();

    const extension: SqliteS3Backups = {
      service: SERVICE,
      s3: loc,
      backupIntervalMs: options.backupIntervalMs,
    };
    return {
      name: ctx.name,
      runDir: ctx.runDir,
      workDir: ctx.workDir,
      services,
      info: {
        bringUpMs,
        dbPath: store.files.get('db').location,
        s3Endpoint: loc.endpoint,
        s3DataDir,
        ...options,
        ...containerInfo,
        versions,
      },
      extensions: new Extensions(provide(SQLITE_S3, extension)),
      resolve: (target: TargetSelector, signal?: AbortSignal): Promise<StartedService> =>
        resolveTarget(ctx.name, services, target, signal, store),
      // Service first: its backup agent may be uploading to s3rver.
      [Symbol.asyncDispose]: disposeAll,
    };
  } catch (err) {
    await disposeAll();
    throw err;
  }
}

const environment: EnvironmentModule<SqliteS3Options> = {
  description:
    'SQLite trade store (WAL) with a backup agent that snapshots the database to S3 (s3rver by default)',
  options: sqliteS3Options,
  providers: ['local', 'containers'],
  // s3 runs (in the harness or a container) only when no endpoint is given (start, below).
  services: (o) => [
    ...(o.s3.endpoint ? [] : [{ name: 's3', roles: ['backup-store'] }]),
    { name: SERVICE, roles: ['primary'] },
  ],
  start,
};
export default environment;
