// Small, bounded PostgreSQL client helpers: one statement on one connection, polling with a
// deadline. Shared by the postgres probes and the postgres-ha environment.

import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { HarnessError } from '../core/errors.js';
import type { PgConnection } from './postgres.js';

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
