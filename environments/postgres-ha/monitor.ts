// Queries against the pg_auto_failover monitor, and how its node states map to roles.

import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { HarnessError } from '../../src/core/errors.js';
import { within } from '../../src/core/within.js';
import type { PgEndpoint, PgNodeState } from '../../src/stacks/postgres.js';
import { abortable } from '../../src/stacks/postgres-client.js';
import { HOST, PG_USER } from './settings.js';

const PRIMARY_STATES = new Set(['single', 'wait_primary', 'primary']);

/**
 * `primary`, `replica` (secondary), or `reported->goal` while the node is in transition, so a
 * primary the monitor is failing away from (goal draining, demote_timeout) never matches `primary`.
 */
export function roleFromState(s: PgNodeState): string {
  if (PRIMARY_STATES.has(s.reportedState) && PRIMARY_STATES.has(s.goalState)) return 'primary';
  if (s.reportedState === 'secondary' && s.goalState === 'secondary') return 'replica';
  return s.reportedState === s.goalState ? s.reportedState : `${s.reportedState}->${s.goalState}`;
}

/** Settled in a primary or secondary state (what "ready" means for a data node). */
export function settled(s: PgNodeState): boolean {
  return (
    s.reportedState === s.goalState &&
    (PRIMARY_STATES.has(s.reportedState) || s.reportedState === 'secondary')
  );
}

/**
 * One primary and every other running node a secondary, all settled. With a standby up only
 * `primary` counts: in `wait_primary` the monitor will not fail over (the standby may lack
 * acknowledged writes), so a crash injected then would test nothing.
 */
export function formationHealthy(states: readonly PgNodeState[], running: readonly string[]): boolean {
  // A node that is starting may not have registered with the monitor yet.
  if (running.some((n) => !states.some((st) => st.name === n))) return false;
  const up = states.filter((st) => running.includes(st.name));
  const isPrimary = (st: PgNodeState) =>
    up.length > 1 ? st.reportedState === 'primary' : PRIMARY_STATES.has(st.reportedState);
  return (
    up.length > 0 &&
    up.filter(isPrimary).length === 1 &&
    up.every((st) => st.reportedState === st.goalState && (isPrimary(st) || st.reportedState === 'secondary'))
  );
}

export class MonitorClient {
  readonly #pool: pg.Pool;

  constructor(port: number) {
    this.#pool = new pg.Pool({
      host: HOST,
      port,
      user: PG_USER,
      database: 'pg_auto_failover',
      max: 3,
      connectionTimeoutMillis: 1000,
      query_timeout: 2000,
      statement_timeout: 2000,
      idleTimeoutMillis: 5000,
      allowExitOnIdle: true,
    });
    // Idle clients error when the monitor is killed; the next query reconnects.
    this.#pool.on('error', () => undefined);
  }

  async query<R extends pg.QueryResultRow>(sql: string, signal?: AbortSignal): Promise<R[]> {
    return (await abortable(this.#pool.query<R>(sql), signal)).rows;
  }

  async ready(): Promise<true> {
    await this.query('select count(*) from pgautofailover.formation');
    return true;
  }

  /** ALTER SYSTEM for sighup settings, then reload. Values are ours, never user input. */
  async applySettings(settings: Readonly<Record<string, number>>): Promise<void> {
    for (const [k, v] of Object.entries(settings)) await this.query(`alter system set ${k} = ${v}`);
    await this.query('select pg_reload_conf()');
  }

  async states(signal?: AbortSignal): Promise<PgNodeState[]> {
    const rows = await this.query<{ name: string; host: string; port: number; rs: string; gs: string }>(
      'select nodename as name, nodehost as host, nodeport as port, reportedstate::text as rs, ' +
        'goalstate::text as gs from pgautofailover.node order by nodeid',
      signal,
    );
    return rows.map((r) => ({
      name: r.name,
      host: r.host,
      port: r.port,
      reportedState: r.rs,
      goalState: r.gs,
    }));
  }

  async primary(signal?: AbortSignal): Promise<PgEndpoint> {
    const rows = await this.query<{ name: string; host: string; port: number }>(
      'select primary_name as name, primary_host as host, primary_port as port ' +
        "from pgautofailover.get_primary('default', 0)",
      signal,
    );
    const row = rows[0];
    if (!row) throw new HarnessError('NO_SUCH_ROLE', 'the pg_auto_failover monitor reports no primary');
    return { name: row.name, host: row.host, port: row.port };
  }

  /**
   * The monitor decides no failover within startup_grace_period of its start: a crash injected
   * then would measure the grace period, not the failover.
   */
  async waitStartupGrace(graceMs: number, signal: AbortSignal): Promise<void> {
    const rows = await this.query<{ ms: number }>(
      'select extract(epoch from now() - pg_postmaster_start_time())::float8 * 1000 as ms',
    );
    const leftMs = graceMs - (rows[0]?.ms ?? 0) + 200;
    if (leftMs > 0) await sleep(leftMs, undefined, { signal });
  }

  async end(): Promise<void> {
    await within(
      this.#pool.end().catch(() => undefined),
      2000,
      undefined,
    );
  }
}
