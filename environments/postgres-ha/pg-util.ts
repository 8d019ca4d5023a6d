// Small, bounded PostgreSQL and process helpers shared by the cluster, probes and injector.

import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { HarnessError } from '../../src/core/errors.js';
import type { PgConnection } from './controller.js';

export interface QueryOptions {
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

/** Rejects with the signal's reason as soon as it aborts. */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** pg client settings where connecting and every statement are bounded by timeoutMs. */
export function clientConfig(conn: PgConnection, timeoutMs: number): pg.ClientConfig {
  return {
    ...conn,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
  };
}

/** One connection, one statement, closed afterwards. Bounded by timeoutMs and the signal. */
export async function queryOnce<R extends pg.QueryResultRow>(
  conn: PgConnection,
  sql: string,
  params: readonly unknown[] = [],
  opts: QueryOptions = {},
): Promise<R[]> {
  const client = new pg.Client(clientConfig(conn, opts.timeoutMs ?? 2000));
  client.on('error', () => {
    // A server that dies under an idle client; the pending query rejects on its own.
  });
  try {
    await abortable(client.connect(), opts.signal);
    const res = await abortable(client.query<R>(sql, [...params]), opts.signal);
    return res.rows;
  } finally {
    void client.end().catch(() => undefined);
  }
}

/** libpq's target_session_attrs=read-write test: a promoted node stays read-only for a while. */
export async function isWritable(conn: PgConnection, opts: QueryOptions = {}): Promise<boolean> {
  const rows = await queryOnce<{ rec: boolean; ro: string }>(
    conn,
    "select pg_is_in_recovery() as rec, current_setting('transaction_read_only') as ro",
    [],
    opts,
  );
  return rows[0]?.rec === false && rows[0]?.ro === 'off';
}

/**
 * Calls fn every intervalMs until it returns a value other than undefined. Errors from fn are
 * retried (the last one is reported); a HarnessError stops the wait. Bounded by timeoutMs.
 */
export async function pollUntil<T>(
  what: string,
  fn: (signal: AbortSignal) => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal | undefined },
): Promise<T> {
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  let last: unknown;
  while (!signal.aborted) {
    try {
      const v = await fn(signal);
      if (v !== undefined) return v;
    } catch (err) {
      if (err instanceof HarnessError) throw err;
      last = err;
    }
    await sleep(opts.intervalMs ?? 100, undefined, { signal }).catch(() => undefined);
  }
  if (opts.signal?.aborted) throw opts.signal.reason;
  const why = last instanceof Error ? ` (last error: ${last.message})` : '';
  throw new HarnessError('NOT_READY', `${what} not reached after ${opts.timeoutMs}ms${why}`);
}

/** True while a process exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** True while /proc has an entry at all, zombies included (what pidfile checks see). */
export function pidExists(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** The postmaster's pid from the first line of postmaster.pid, if the file exists. */
export function postmasterPid(pgdata: string): number | undefined {
  try {
    const first = readFileSync(`${pgdata}/postmaster.pid`, 'utf8').split('\n')[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Last lines of a log file, for error messages. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
