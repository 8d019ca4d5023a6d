// postgres-backup on the containers provider: PostgreSQL and pgBackRest in one chaos-harness/postgres
// container (tini as PID 1, so a postmaster started by pg_ctl is reaped there), s3rver over HTTPS
// in a chaos-harness/node container. The database is started, stopped, killed and restored by
// commands executed in its container as postgres, as an operator would on the database host; its
// data directory is in the container's own filesystem.

import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../src/core/errors.js';
import { within } from '../../src/core/within.js';
import type { ManagedContainer } from '../../src/providers/containers/managed-container.js';
import type { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import { SupervisedService } from '../../src/providers/supervised-service.js';
import type { PgConnection } from '../../src/stacks/postgres.js';
import { waitWritable } from './local-postgres.js';
import type { CommandResult, PostgresCommandRunner } from './pgbackrest.js';
import { httpsOk, type TlsFiles } from './tls-s3.js';

export const PG_IMAGE = 'chaos-harness/postgres:latest';
export const NODE_IMAGE = 'chaos-harness/node:latest';
const IMAGE_APP = '/opt/chaos-harness';
/** postgres' home in the image; the run's data directories go below it. */
export const CONTAINER_HOME = '/var/lib/postgresql/backup';
const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Every process called postgres in the container, SIGKILLed at once; prints their pids. */
const KILL_ALL = `pids=""; for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = postgres ] && pids="$pids \${p#/proc/}"; done; [ -n "$pids" ] && kill -9 $pids; echo $pids`;
const ANY_LEFT = `for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = postgres ] && [ "$(cut -d' ' -f3 "$p/stat")" != Z ] && exit 0; done; exit 1`;

function hostUser(): string | undefined {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  return uid === undefined || gid === undefined ? undefined : `${uid}:${gid}`;
}

/** Commands in the database's container as postgres. A timeout leaves the exec to the teardown. */
export function containerCommandRunner(c: ManagedContainer): PostgresCommandRunner {
  return async (argv, opts) => {
    const t0 = performance.now();
    const run = c
      .exec(argv, { user: 'postgres' })
      .then(
        (r): CommandResult => ({ code: r.exitCode, output: r.output, durationMs: performance.now() - t0 }),
      );
    const r = await within(run, opts.timeoutMs, undefined);
    if (opts.signal.aborted) throw new HarnessError('INTERRUPTED', `postgres-backup: ${opts.name} aborted`);
    return (
      r ?? { code: null, output: `timed out after ${opts.timeoutMs}ms`, durationMs: performance.now() - t0 }
    );
  };
}

export interface ContainerPgSpec {
  name: string;
  pgdata: string;
  /** In the container and published on 127.0.0.1 under the same number. */
  port: number;
  settings?: Readonly<Record<string, string>>;
}

/** One postmaster in the database container, run with pg_ctl. */
export class ContainerPostgres {
  #up = false;
  readonly #log: string;
  constructor(
    private readonly c: ManagedContainer,
    readonly spec: ContainerPgSpec,
  ) {
    this.#log = `${CONTAINER_HOME}/${spec.name}.log`;
  }

  connection(): PgConnection {
    return { host: '127.0.0.1', port: this.spec.port, user: 'postgres', database: 'postgres' };
  }
  get running(): boolean {
    return this.#up && this.c.running;
  }
  id(): string | undefined {
    return this.running ? this.c.id() : undefined;
  }

  async #exec(argv: string[], user = 'postgres') {
    return this.c.exec(argv, { user });
  }

  async start(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const opts = Object.entries(this.spec.settings ?? {})
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' ');
    const r = await this.#exec([
      `${PG_BIN}/pg_ctl`,
      '-D',
      this.spec.pgdata,
      '-l',
      this.#log,
      '-W',
      ...(opts ? ['-o', opts] : []),
      'start',
    ]);
    if (r.exitCode !== 0)
      throw new HarnessError(
        'NOT_READY',
        `postgres-backup ${this.spec.name}: pg_ctl start failed: ${r.output.trim()}`,
      );
    this.#up = true;
    const what = `postgres-backup ${this.spec.name} (container)`;
    await waitWritable(this.connection(), {
      what,
      timeoutMs,
      signal,
      exited: async () => {
        const st = await this.#exec([`${PG_BIN}/pg_ctl`, '-D', this.spec.pgdata, 'status']).catch(
          () => undefined,
        );
        // 3: not running. A restore's postgres may exit on a recovery error: say so at once.
        return st?.exitCode === 3
          ? new HarnessError(
              'PROCESS_EXITED',
              `${what}: postgres exited before it was ready; ${await this.logTail()}`,
            )
          : undefined;
      },
      log: () => this.logTail(),
    });
  }

  async logTail(): Promise<string> {
    const r = await this.#exec(['tail', '-n', '15', this.#log]).catch(() => undefined);
    return r?.output.trim() ?? '(no log)';
  }

  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    const secs = String(Math.max(1, Math.ceil(graceMs / 1000)));
    const r = await this.#exec([
      `${PG_BIN}/pg_ctl`,
      '-D',
      this.spec.pgdata,
      '-m',
      'fast',
      '-w',
      '-t',
      secs,
      'stop',
    ]);
    if (r.exitCode !== 0) await this.kill();
    this.#up = false;
  }

  /** SIGKILL every postgres process of the container (backends too); resolves when all are gone. */
  async kill(): Promise<string> {
    if (!this.c.running) return 'container not running';
    const r = await this.#exec(['sh', '-c', KILL_ALL], 'root');
    for (let i = 0; i < 100; i++) {
      const left = await this.#exec(['sh', '-c', ANY_LEFT], 'root');
      if (left.exitCode !== 0) break;
      await sleep(50);
    }
    this.#up = false;
    return `pids ${r.output.trim().split(/\s+/).join('/')} in container ${this.c.id() ?? this.c.spec.name}`;
  }

  async removeDataDirectory(): Promise<void> {
    const r = await this.#exec(['rm', '-rf', this.spec.pgdata]);
    if (r.exitCode !== 0)
      throw new HarnessError(
        'INJECTION_FAILED',
        `postgres-backup: rm -rf ${this.spec.pgdata} failed: ${r.output}`,
      );
  }
}

/** The chaos-harness/postgres container: idle (tini + sleep) until pg_ctl starts postgres in it. */
export function postgresContainer(
  rt: ContainerRuntime,
  o: { name: string; ports: number[]; configDir: string; logFile: string },
): ManagedContainer {
  return rt.container({
    name: o.name,
    image: PG_IMAGE,
    cmd: ['sleep', 'infinity'],
    user: 'postgres',
    ports: o.ports,
    // pgbackrest.conf, written by the harness (read-only in the container).
    binds: [`${o.configDir}:${o.configDir}:ro`],
    logFile: o.logFile,
  });
}

/** s3rver (HTTPS) in a chaos-harness/node container: `s3` on the run's network, 127.0.0.1:port on the host. */
export function s3Service(
  rt: ContainerRuntime,
  o: {
    name: string;
    port: number;
    dir: string;
    tls: TlsFiles;
    bucket: string;
    envDir: string;
    logFile: string;
  },
): SupervisedService {
  const repo = resolve(o.envDir, '../..');
  const tlsDir = dirname(o.tls.key);
  const runner = rt.container({
    name: o.name,
    image: NODE_IMAGE,
    cmd: [
      'node',
      `${IMAGE_APP}/environments/postgres-backup/s3-tls-main.mjs`,
      ...['--address', '0.0.0.0', '--port', String(o.port), '--dir', o.dir],
      ...['--key', o.tls.key, '--cert', o.tls.cert, '--bucket', o.bucket],
    ],
    user: hostUser(),
    workingDir: IMAGE_APP,
    ports: [o.port],
    binds: [
      `${join(repo, 'src')}:${IMAGE_APP}/src:ro`,
      `${dirname(o.envDir)}:${IMAGE_APP}/environments:ro`,
      `${o.dir}:${o.dir}`,
      `${tlsDir}:${tlsDir}:ro`,
    ],
    logFile: o.logFile,
  });
  return new SupervisedService({
    name: o.name,
    runner,
    endpoints: { https: { host: '127.0.0.1', port: o.port } },
    role: 'backup-store',
    ready: {
      check: {
        kind: 'custom',
        description: `HTTPS 200 from https://127.0.0.1:${o.port}/`,
        test: (ms) => httpsOk('127.0.0.1', o.port, ms),
      },
      timeoutMs: 15_000,
      intervalMs: 50,
    },
    stopGraceMs: 3000,
  });
}
