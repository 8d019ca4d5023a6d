// sqlite-s3 on the containers provider: s3rver and the trade store (with its backup agent) each in
// a chaos-harness/node container on the run's network, published on 127.0.0.1 under the same port.
//
// S3 is a container of its own, not the harness's in-process s3rver: a container reaches the host
// only through the bridge gateway, so an in-process server would have to listen on the gateway's
// address, which every container of every network (and the host's other users) can reach too.
// As a container it listens on the run's network (the trade store calls http://s3:P) and on
// 127.0.0.1:P (the harness's restore and tests), and nothing else.
//
// The trade store's database lives in a volume of its container (/data), not on the host:
// file-corrupt, the integrity probe and restore-from-s3 reach it through the engine
// (containerDataFiles). s3rver's objects stay in the run directory (a bind mount, kept with the
// run's reports), written as the harness's uid:gid so they belong to whoever the harness runs as.
import { dirname, join, resolve } from 'node:path';
import type { StartedService } from '../../src/core/types.js';
import type { ManagedContainer } from '../../src/providers/containers/managed-container.js';
import type { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import { SupervisedService } from '../../src/providers/supervised-service.js';

export const NODE_IMAGE = 'chaos-harness/node:latest';
/** Where the node image keeps package.json, node_modules, src/ and environments/. */
const IMAGE_APP = '/opt/chaos-harness';
const STOP_GRACE_MS = 3000;

function hostUser(): string | undefined {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  return uid === undefined || gid === undefined ? undefined : `${uid}:${gid}`;
}

/**
 * The repository's src/ and environments/ over the image's copies (read-only): the container runs
 * the code this harness runs even when the image was built before the last change, with the
 * image's node_modules (the host's, copied at build time).
 */
function codeMounts(envDir: string): string[] {
  const repo = resolve(envDir, '../..');
  return [`${join(repo, 'src')}:${IMAGE_APP}/src:ro`, `${dirname(envDir)}:${IMAGE_APP}/environments:ro`];
}

export interface S3Container {
  service: StartedService & AsyncDisposable;
  /** For the harness (restore-from-s3, tests). */
  hostUrl: string;
  /** For the trade-store container. */
  networkUrl: string;
}

export async function startS3Container(
  rt: ContainerRuntime,
  opts: { name: string; port: number; dir: string; logFile: string; signal: AbortSignal },
): Promise<S3Container> {
  const runner = rt.container({
    name: opts.name,
    image: NODE_IMAGE,
    cmd: ['node', 'container/s3rver-main.mjs', '--port', String(opts.port), '--dir', opts.dir],
    user: hostUser(),
    workingDir: IMAGE_APP,
    ports: [opts.port],
    binds: [`${opts.dir}:${opts.dir}`],
    logFile: opts.logFile,
  });
  const hostUrl = `http://127.0.0.1:${opts.port}`;
  const service = new SupervisedService({
    name: opts.name,
    runner,
    endpoints: { http: { host: '127.0.0.1', port: opts.port } },
    role: 'backup-store',
    // HTTP, not TCP: the engine's proxy accepts connections on the published port before s3rver
    // listens. GET / is ListBuckets, 200 once s3rver serves.
    ready: { check: { kind: 'http', url: `${hostUrl}/`, status: 200 }, timeoutMs: 15_000, intervalMs: 50 },
    stopGraceMs: STOP_GRACE_MS,
  });
  await service.start(opts.signal);
  return { service, hostUrl, networkUrl: `http://${opts.name}:${opts.port}` };
}

/** The trade store's data volume in its container, and the database in it. */
export const CONTAINER_DATA_DIR = '/data';
export const CONTAINER_DB = `${CONTAINER_DATA_DIR}/trades.db`;

export function tradeStoreContainer(
  rt: ContainerRuntime,
  opts: {
    name: string;
    envDir: string;
    port: number;
    env: Record<string, string>;
    logFile: string;
  },
): ManagedContainer {
  return rt.container({
    name: opts.name,
    image: NODE_IMAGE,
    // The image preloads listen-all.mjs: the store's 127.0.0.1 listener becomes 0.0.0.0 there.
    cmd: ['node', '--import', 'tsx', `${IMAGE_APP}/environments/sqlite-s3/trade-store.ts`],
    env: { ...opts.env, TRADE_DB: CONTAINER_DB },
    // The image's root: the volume is the container's own, and nothing on the host reads it.
    workingDir: IMAGE_APP,
    ports: [opts.port],
    volumes: [CONTAINER_DATA_DIR],
    binds: codeMounts(opts.envDir),
    logFile: opts.logFile,
  });
}

/** Node and SQLite as the trade-store container runs them, for the report. */
export async function containerVersions(
  store: ManagedContainer,
): Promise<{ node?: string; sqlite?: string }> {
  try {
    const r = await store.exec([
      'node',
      '-e',
      "const D=require('better-sqlite3');const d=new D(':memory:');" +
        "console.log(process.version+' '+d.prepare('select sqlite_version() v').get().v)",
    ]);
    const [node, sqlite] = r.output.trim().split(' ');
    return r.exitCode === 0 && node && sqlite ? { node, sqlite } : {};
  } catch {
    return {};
  }
}
