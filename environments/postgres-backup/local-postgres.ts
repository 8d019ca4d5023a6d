// The local side of postgres-backup: PostgreSQL 15 run as the user postgres (never root) from the
// harness, and one-shot commands (initdb, pgbackrest) as postgres, each recorded in the run's
// registry so that a run killed with SIGKILL leaves nothing the next run does not remove.

import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../src/core/errors.js';
import { within } from '../../src/core/within.js';
import { lookupUser, ManagedProcess } from '../../src/providers/local/managed-process.js';
import { signalAll, treeOf, waitAllGone } from '../../src/providers/local/process-tree.js';
import { RUN_MARKER_ENV, recordSpawn } from '../../src/providers/local/run-registry.js';
import type { PgConnection } from '../../src/stacks/postgres.js';
import { queryOnce } from '../../src/stacks/postgres-client.js';
import type { CommandResult, PostgresCommandRunner } from './pgbackrest.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const PG_USER = 'postgres';
export const HOST = '127.0.0.1';
const MAX_OUTPUT = 1024 * 1024;

/** The environment every postgres-side command gets: no PGHOST, a PATH with pgbackrest and PG_BIN. */
export function postgresEnv(home: string): Record<string, string> {
  return { PATH: `${PG_BIN}:/usr/bin:/bin`, HOME: home, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };
}

/** Owned by postgres when the harness runs as root (postgres refuses to run as root). */
export function postgresDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() === 0) {
    const ids = lookupUser(PG_USER);
    chownSync(dir, ids.uid, ids.gid);
  }
}

/** One-shot commands as postgres, in their own process group, killed on timeout and abort. */
export function localCommandRunner(runId: string, home: string): PostgresCommandRunner {
  return (argv, opts) =>
    new Promise<CommandResult>((resolve, reject) => {
      const ids = process.getuid?.() === 0 ? lookupUser(PG_USER) : undefined;
      const t0 = performance.now();
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd: home,
        env: { ...postgresEnv(home), [RUN_MARKER_ENV]: runId },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
      });
      if (child.pid !== undefined) recordSpawn(runId, child.pid, opts.name);
      let output = '';
      const add = (b: Buffer) => {
        if (output.length < MAX_OUTPUT) output += b.toString('utf8');
      };
      child.stdout?.on('data', add);
      child.stderr?.on('data', add);
      const killGroup = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(killGroup, opts.timeoutMs);
      const onAbort = () => killGroup();
      opts.signal.addEventListener('abort', onAbort, { once: true });
      child.once('error', (err) => {
        clearTimeout(timer);
        opts.signal.removeEventListener('abort', onAbort);
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          missing
            ? new HarnessError(
                'BINARY_MISSING',
                `postgres-backup: "${argv[0]}" was not found: install the Debian package ${argv[0] === 'pgbackrest' ? 'pgbackrest' : 'postgresql-15'}`,
                { cause: err },
              )
            : err,
        );
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        opts.signal.removeEventListener('abort', onAbort);
        if (opts.signal.aborted) {
          reject(new HarnessError('INTERRUPTED', `postgres-backup: ${opts.name} aborted`));
          return;
        }
        resolve({ code, output, durationMs: performance.now() - t0 });
      });
    });
}

export interface LocalPgSpec {
  name: string;
  pgdata: string;
  port: number;
  socketDir: string;
  home: string;
  logFile: string;
  runId: string;
  /** `-c name=value` settings over the data directory's own (a scratch copy's port). */
  settings?: Readonly<Record<string, string>>;
}

/** One postmaster on loopback, started and stopped by the harness. */
export class LocalPostgres {
  #proc: ManagedProcess | undefined;
  constructor(readonly spec: LocalPgSpec) {}

  connection(): PgConnection {
    return { host: HOST, port: this.spec.port, user: 'postgres', database: 'postgres' };
  }

  get running(): boolean {
    return this.#proc?.running ?? false;
  }

  id(): string | undefined {
    return this.#proc?.id();
  }

  /** Starts the postmaster and resolves once it accepts a read-write connection. */
  async start(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const { spec } = this;
    if (!existsSync(join(spec.pgdata, 'PG_VERSION'))) {
      throw new HarnessError('NOT_READY', `postgres-backup ${spec.name}: ${spec.pgdata} holds no database`);
    }
    const proc = new ManagedProcess({
      name: `postgres-backup ${spec.name}`,
      command: `${PG_BIN}/postgres`,
      args: [
        '-D',
        spec.pgdata,
        ...Object.entries(spec.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      ],
      env: postgresEnv(spec.home),
      inheritEnv: false,
      cwd: spec.home,
      user: PG_USER,
      logFile: spec.logFile,
      runId: spec.runId,
    });
    proc.start();
    this.#proc = proc;
    await waitWritable(this.connection(), {
      what: `postgres-backup ${spec.name}`,
      timeoutMs,
      signal,
      exited: () =>
        proc.running
          ? undefined
          : (proc.spawnError ??
            new HarnessError(
              'PROCESS_EXITED',
              `postgres-backup ${spec.name}: postgres exited (code ${proc.lastExit?.code}) before it was ready; last lines of ${spec.logFile}:\n${logTail(spec.logFile)}`,
            )),
      log: async () => logTail(spec.logFile),
    });
  }

  /** Fast shutdown (SIGINT to the postmaster), SIGKILL to all its processes after graceMs. */
  async stop(graceMs: number): Promise<void> {
    const proc = this.#proc;
    if (!proc?.running) return;
    const procs = proc.pid === undefined ? [] : treeOf([proc.pid]);
    proc.signal('SIGINT', { group: false });
    if ((await within(proc.exited, graceMs, undefined)) === undefined) await this.kill();
    await waitAllGone(procs, 5000);
  }

  /**
   * SIGKILL the postmaster and every process below it at once (backends call setsid(), so a group
   * signal would miss them); resolves when all are gone.
   */
  async kill(): Promise<string> {
    const proc = this.#proc;
    if (!proc?.running || proc.pid === undefined) return 'not running';
    const procs = treeOf([proc.pid]);
    signalAll(procs, 'SIGCONT');
    signalAll(procs, 'SIGKILL');
    await proc.exited;
    await waitAllGone(procs, 5000);
    return `pids ${procs.map((p) => p.pid).join('/')}`;
  }

  removeDataDirectory(): void {
    rmSync(this.spec.pgdata, { recursive: true, force: true });
  }
}

export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Polls until postgres accepts a read-write connection: after a restore, once the archive is
 * replayed and it promoted. Fails fast with `exited()`'s error when the server died.
 */
export async function waitWritable(
  conn: PgConnection,
  o: {
    what: string;
    timeoutMs: number;
    signal: AbortSignal;
    exited: () => Error | undefined | Promise<Error | undefined>;
    log: () => Promise<string>;
  },
): Promise<void> {
  const deadline = AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]);
  let last = 'no answer';
  while (!deadline.aborted) {
    const dead = await o.exited();
    if (dead) throw dead;
    try {
      const rows = await queryOnce<{ rec: boolean }>(conn, 'select pg_is_in_recovery() as rec', [], {
        timeoutMs: 1000,
        signal: deadline,
      });
      if (rows[0]?.rec === false) return;
      last = 'in recovery';
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(25, undefined, { signal: deadline }).catch(() => undefined);
  }
  if (o.signal.aborted) throw new HarnessError('INTERRUPTED', `${o.what}: start aborted`);
  throw new HarnessError(
    'NOT_READY',
    `${o.what}: not writable after ${o.timeoutMs}ms (last: ${last}); last lines of its log:\n${await o.log()}`,
  );
}
