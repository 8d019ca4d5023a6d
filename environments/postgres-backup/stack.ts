// The database of postgres-backup as the harness sees it, whatever runs it: a StartedService, the
// PostgresController the postgres probes use (one node, always the primary), and the
// PgBackupController the destroy and restore kinds use. The provider supplies a PgBackend.

import { HarnessError } from '../../src/core/errors.js';
import type { Endpoint, StartedService } from '../../src/core/types.js';
import type {
  PgConnection,
  PgEndpoint,
  PgKilled,
  PgNodeState,
  PostgresController,
} from '../../src/stacks/postgres.js';
import type {
  BackupInfo,
  PgBackupController,
  RestoreOutcome,
  TableChecksum,
} from '../../src/stacks/postgres-backup.js';
import { isWritable } from '../../src/stacks/postgres-client.js';
import { tableChecksums } from './dataset.js';
import type { PgBackRest } from './pgbackrest.js';

/** A PostgreSQL server and where it runs: a local process, or a container. */
export interface PgBackend {
  /** How the harness reaches it. */
  connection(): PgConnection;
  running(): boolean;
  id(): string | undefined;
  /** Resolves once it accepts writes (after a restore: replayed and promoted). */
  start(timeoutMs: number, signal: AbortSignal): Promise<void>;
  stop(graceMs: number): Promise<void>;
  /** SIGKILL postgres and everything below it; what was killed, for the report. */
  kill(): Promise<string>;
  removeDataDirectory(): Promise<void>;
  /** Where the data directory is, in the provider's terms (a host path, container:path). */
  readonly dataLocation: string;
}

export interface StackOptions {
  service: string;
  readyTimeoutMs: number;
  restoreTimeoutMs: number;
  backupTimeoutMs: number;
}

export class BackupStack implements StartedService, PostgresController, PgBackupController {
  readonly name: string;
  readonly service: string;
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  readonly nodes: readonly string[];
  readonly monitorUri = '';
  reference: readonly TableChecksum[] = [];
  loadedBytes = 0;

  constructor(
    private readonly pg: PgBackend,
    private readonly backrest: PgBackRest,
    private readonly opts: StackOptions,
  ) {
    this.name = opts.service;
    this.service = opts.service;
    this.nodes = [opts.service];
    const c = pg.connection();
    this.endpoints = { postgres: { host: c.host, port: c.port } };
  }

  // StartedService
  async role(): Promise<string | undefined> {
    return 'primary';
  }
  id(): string | undefined {
    return this.pg.id();
  }
  running(): boolean {
    return this.pg.running();
  }
  async kill(): Promise<void> {
    await this.pg.kill();
  }
  async signal(sig: NodeJS.Signals): Promise<void> {
    throw new HarnessError(
      'INJECTION_FAILED',
      `${this.name}: use process-kill or postgres-destroy, not ${sig}`,
    );
  }
  async stop(graceMs = 10_000): Promise<void> {
    await this.pg.stop(graceMs);
  }
  async pause(): Promise<void> {
    throw new HarnessError('INJECTION_FAILED', `${this.name}: pause is not supported by postgres-backup`);
  }
  async resume(): Promise<void> {}
  async start(signal?: AbortSignal): Promise<void> {
    await this.pg.start(this.opts.readyTimeoutMs, signal ?? new AbortController().signal);
  }
  async restart(signal?: AbortSignal): Promise<void> {
    await this.stop();
    await this.start(signal);
  }
  async waitReady(signal?: AbortSignal): Promise<void> {
    if (!(await isWritable(this.pg.connection(), { timeoutMs: 2000, signal })))
      throw new HarnessError('NOT_READY', `${this.name} does not accept writes`);
  }

  // PostgresController (what postgres-write needs of it: one node, the primary)
  connectionFor(): PgConnection {
    return this.pg.connection();
  }
  connection(): PgConnection {
    return this.pg.connection();
  }
  #endpoint(): PgEndpoint {
    const c = this.pg.connection();
    return { name: this.name, host: c.host, port: c.port };
  }
  async primary(): Promise<PgEndpoint> {
    return this.#endpoint();
  }
  async writablePrimary(signal?: AbortSignal): Promise<PgEndpoint | undefined> {
    if (!this.pg.running()) return undefined;
    try {
      return (await isWritable(this.pg.connection(), { timeoutMs: 1000, signal }))
        ? this.#endpoint()
        : undefined;
    } catch {
      return undefined;
    }
  }
  async states(): Promise<PgNodeState[]> {
    const state = this.pg.running() ? 'single' : 'down';
    return [{ ...this.#endpoint(), reportedState: state, goalState: 'single' }];
  }
  async killNode(): Promise<PgKilled> {
    const what = await this.pg.kill();
    return { what, details: { killed: what } };
  }
  killPostmaster(): Promise<PgKilled> {
    return this.killNode();
  }
  async restartNode(_node: string, signal: AbortSignal): Promise<void> {
    await this.pg.start(this.opts.readyTimeoutMs, signal);
  }
  async waitHealthy(signal: AbortSignal): Promise<PgNodeState[]> {
    if (!this.pg.running()) await this.pg.start(this.opts.readyTimeoutMs, signal);
    return this.states();
  }

  // PgBackupController
  async latestBackup(signal: AbortSignal): Promise<BackupInfo | undefined> {
    return (await this.backrest.backups(signal, 'RECOVERY_FAILED')).at(-1);
  }

  async backup(signal: AbortSignal): Promise<BackupInfo> {
    await this.backrest.command(['backup', '--type=full'], this.opts.backupTimeoutMs, signal);
    const b = (await this.backrest.backups(signal)).at(-1);
    if (!b)
      throw new HarnessError(
        'NOT_READY',
        'postgres-backup: pgbackrest backup succeeded but info lists no backup',
      );
    return b;
  }

  async destroyDataDirectory(): Promise<Record<string, unknown>> {
    const killed = await this.pg.kill();
    await this.pg.removeDataDirectory();
    return { killed, removed: this.pg.dataLocation };
  }

  async restore(
    target: 'latest' | { time: string },
    signal: AbortSignal,
    now = () => performance.now(),
  ): Promise<RestoreOutcome> {
    const backup = await this.latestBackup(signal);
    if (!backup)
      throw new HarnessError('RECOVERY_FAILED', 'postgres-backup: the repository holds no backup to restore');
    if (this.pg.running()) await this.pg.stop(10_000);
    // A full restore into an empty directory, as after a lost disk: what the throughput measures.
    await this.pg.removeDataDirectory();
    const args =
      target === 'latest'
        ? ['restore', '--type=default']
        : ['restore', '--type=time', `--target=${pgTime(target.time)}`, '--target-action=promote'];
    const f0 = now();
    const r = await this.backrest.command(args, this.opts.restoreTimeoutMs, signal, 'RECOVERY_FAILED');
    const f1 = now();
    const size = /restore size = ([^,]+), file total = (\d+)/.exec(r.output);
    await this.pg.start(this.opts.restoreTimeoutMs, signal);
    const r1 = now();
    return {
      target: target === 'latest' ? 'latest' : target.time,
      backup,
      fetch: {
        startMs: f0,
        endMs: f1,
        detail: `pgbackrest ${args.join(' ')} of ${backup.label}${size ? ` (${size[1]}, ${size[2]} files)` : ''}`,
      },
      replay: {
        startMs: f1,
        endMs: r1,
        detail: 'postgres started: archived WAL replayed, promoted, writable',
      },
      restoredBytes: backup.bytes,
    };
  }

  checksums(tables: readonly string[], signal: AbortSignal): Promise<TableChecksum[]> {
    return tableChecksums(this.pg.connection(), tables, signal);
  }
}

/** pgBackRest's (and postgres') time format for an ISO time: "2026-12-01 23:45:09.741+00". */
export function pgTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()))
    throw new HarnessError('RECOVERY_FAILED', `postgres-backup: "${iso}" is not a time`);
  return `${d.toISOString().replace('T', ' ').replace('Z', '')}+00`;
}
