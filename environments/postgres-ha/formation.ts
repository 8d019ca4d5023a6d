// What a pg_auto_failover formation is, whatever runs its nodes (local processes, containers):
// the bring-up order, readiness, health and the queries the probes and injectors make. The two
// clusters (cluster.ts, container-cluster.ts) say only how a node is launched, killed and stopped.

import type pg from 'pg';
import { HarnessError } from '../../src/core/errors.js';
import type { PgConnection, PgEndpoint, PgKilled, PgNodeState } from '../../src/stacks/postgres.js';
import { isWritable, pollUntil, queryOnce } from '../../src/stacks/postgres-client.js';
import { formationHealthy, MonitorClient, roleFromState, settled } from './monitor.js';
import {
  DEFAULT_STARTUP_GRACE_MS,
  FAST_MONITOR_SETTINGS,
  FAST_NODE_SETTINGS,
  HOST,
  PG_USER,
} from './settings.js';

export const READY_TIMEOUT_MS = 60_000;

/** Pids of a data node's processes, for kill details (in a container: pids inside its namespace). */
export interface PgNodePids {
  keeper: number | undefined;
  postmaster: number | undefined;
  /** The container the node runs in (containers provider). */
  container?: string | undefined;
}

/** A kill's report entry: "pids <keeper>/<postmaster>[ in container <id>]" and the same as details. */
export function killedPids(pids: PgNodePids, only?: 'postmaster'): PgKilled {
  const keeper = only === 'postmaster' ? undefined : pids.keeper;
  const inContainer = pids.container ? ` in container ${pids.container}` : '';
  return {
    what: `pids ${keeper ?? '-'}/${pids.postmaster}${inContainer}`,
    details: {
      ...(only === 'postmaster' ? {} : { keeperPid: pids.keeper }),
      postmasterPid: pids.postmaster,
      ...(pids.container ? { container: pids.container } : {}),
    },
  };
}

/** What replicationSetup() reads from a running formation, for the report's environment section. */
export interface ReplicationSetup {
  topology: string;
  synchronousStandbyNames: string;
  synchronousCommit: string;
  /** pgautofailover.formation.number_sync_standbys (null if the monitor gave no row). */
  numberSyncStandbys: number | null;
  nodes: string[];
}

export interface FormationNode {
  name: string;
  kind: 'monitor' | 'data';
  /** Where the harness reaches it: 127.0.0.1:port. */
  port: number;
  logFile: string;
}

export abstract class Formation<N extends FormationNode> {
  readonly nodes: readonly string[];
  readonly monitorUri: string;
  protected readonly monitor: N;
  protected readonly data = new Map<string, N>();
  protected readonly monitorClient: MonitorClient;
  readonly #fastFailover: boolean;

  protected constructor(monitor: N, data: readonly N[], fastFailover: boolean) {
    this.monitor = monitor;
    for (const n of data) this.data.set(n.name, n);
    this.nodes = [...this.data.keys()];
    this.monitorUri = `postgres://autoctl_node@${HOST}:${monitor.port}/pg_auto_failover?sslmode=prefer`;
    this.monitorClient = new MonitorClient(monitor.port);
    this.#fastFailover = fastFailover;
  }

  /** Start a node's pg_autoctl for the first time (`create monitor` / `create postgres`). */
  protected abstract launch(n: N): void | Promise<void>;
  /** Throws a clear error (with the log's tail) when the node is not running. */
  protected abstract assertRunning(n: N): void;
  abstract running(node: string): boolean;
  abstract startNode(node: string, signal?: AbortSignal): Promise<void>;

  /** Monitor first, then node1 until `single` + CHECKPOINT, then the standbys (pg_basebackup is fast then). */
  async start(signal: AbortSignal): Promise<void> {
    await this.launch(this.monitor);
    await pollUntil('monitor accepting queries', () => this.monitorReady(), { timeoutMs: 30_000, signal });
    if (this.#fastFailover) await this.monitorClient.applySettings(FAST_MONITOR_SETTINGS);
    const [first, ...rest] = [...this.data.values()];
    if (!first) throw new HarnessError('INVALID_INPUT', 'postgres-ha needs at least one data node');
    await this.launch(first);
    await this.waitState(first, (s) => s.reportedState === 'single', signal, 30_000);
    if (this.#fastFailover) await this.#applyNodeSettings(first, signal);
    await this.query(first.name, 'checkpoint', [], signal);
    for (const n of rest) await this.launch(n);
    await this.waitHealthy(signal);
    if (this.#fastFailover) for (const n of rest) await this.#applyNodeSettings(n, signal);
    const graceMs = this.#fastFailover
      ? (FAST_MONITOR_SETTINGS['pgautofailover.startup_grace_period'] ?? DEFAULT_STARTUP_GRACE_MS)
      : DEFAULT_STARTUP_GRACE_MS;
    await this.monitorClient.waitStartupGrace(graceMs, signal);
  }

  connectionFor(node: string): PgConnection {
    return { host: HOST, port: this.node(node).port, user: PG_USER, database: 'postgres' };
  }

  endpoint(node: string): PgEndpoint {
    return { name: node, host: HOST, port: this.node(node).port };
  }

  /** A statement on one node through a fresh connection (bounded). */
  async query<R extends pg.QueryResultRow>(
    node: string,
    sql: string,
    params: readonly unknown[] = [],
    signal?: AbortSignal,
  ): Promise<R[]> {
    return queryOnce<R>(this.connectionFor(node), sql, params, { timeoutMs: 5000, signal });
  }

  primary(signal?: AbortSignal): Promise<PgEndpoint> {
    return this.monitorClient.primary(signal);
  }

  async writablePrimary(signal?: AbortSignal): Promise<PgEndpoint | undefined> {
    const checks = this.nodes.map(async (name) => {
      const ok = await isWritable(this.connectionFor(name), { timeoutMs: 500, signal }).catch(() => false);
      return ok ? this.endpoint(name) : undefined;
    });
    return (await Promise.all(checks)).find((e) => e !== undefined);
  }

  states(signal?: AbortSignal): Promise<PgNodeState[]> {
    return this.monitorClient.states(signal);
  }

  /**
   * The topology and the synchronous replication setting as the running formation has them, read
   * from the monitor (node roles, number_sync_standbys, each node's replication quorum and
   * candidate priority) and from the primary (synchronous_standby_names, synchronous_commit).
   */
  async replicationSetup(signal?: AbortSignal): Promise<ReplicationSetup> {
    const states = await this.states(signal);
    const primary = states.find((s) => roleFromState(s) === 'primary');
    if (!primary) throw new HarnessError('NO_SUCH_ROLE', 'the pg_auto_failover monitor reports no primary');
    const standbys = states
      .filter((s) => s.name !== primary.name)
      .map((s) => `${s.name} (${roleFromState(s)})`);
    const [formation] = await this.monitorClient.query<{ n: number }>(
      "select number_sync_standbys as n from pgautofailover.formation where formationid = 'default'",
      signal,
    );
    const quorum = await this.monitorClient.query<{ name: string; quorum: boolean; priority: number }>(
      'select nodename as name, replicationquorum as quorum, candidatepriority as priority ' +
        'from pgautofailover.node order by nodeid',
      signal,
    );
    const [settings] = await this.query<{ names: string; commit: string }>(
      primary.name,
      "select current_setting('synchronous_standby_names') as names, current_setting('synchronous_commit') as commit",
      [],
      signal,
    );
    return {
      topology:
        `pg_auto_failover monitor + ${states.length} data nodes: primary ${primary.name}, ` +
        `${standbys.length} ${standbys.length === 1 ? 'standby' : 'standbys'} ${standbys.join(', ')}`,
      synchronousStandbyNames: settings?.names ?? '',
      synchronousCommit: settings?.commit ?? '',
      numberSyncStandbys: formation?.n ?? null,
      nodes: quorum.map((q) => `${q.name}: replication quorum ${q.quorum}, candidate priority ${q.priority}`),
    };
  }

  async failoverStepsSince(msAgo: number, signal?: AbortSignal): Promise<string[]> {
    const secs = Math.max(0, Math.ceil(msAgo) / 1000);
    const rows = await this.monitorClient.query<{ name: string; goal: string }>(
      'select nodename as name, goalstate::text as goal from pgautofailover.event ' +
        `where eventtime > now() - make_interval(secs => ${secs.toFixed(3)}) ` +
        "and goalstate::text in ('draining', 'report_lsn', 'prepare_promotion', 'stop_replication', " +
        "'demote_timeout', 'demoted') order by eventid",
      signal,
    );
    // The monitor logs a goal state again on every report while it holds: each step once.
    return [...new Set(rows.map((r) => `${r.name} -> ${r.goal}`))];
  }

  /** `primary`, `replica` (secondary), `monitor`, `stopped`, or the pg_auto_failover state while in transition. */
  async roleOf(node: string, signal?: AbortSignal): Promise<string> {
    const n = this.node(node);
    if (!this.running(node)) return 'stopped';
    if (n.kind === 'monitor') return 'monitor';
    const s = (await this.states(signal)).find((st) => st.name === node);
    return s ? roleFromState(s) : 'unknown';
  }

  async restartNode(node: string, signal: AbortSignal): Promise<void> {
    await this.startNode(node, signal);
    await this.waitState(
      this.node(node),
      (s) => s.reportedState === 'secondary' && s.goalState === 'secondary',
      signal,
    );
    await this.waitHealthy(signal);
  }

  /** Monitor: answers queries. Data node: reported state equals goal state and is primary or secondary. */
  async waitReady(node: string, signal?: AbortSignal): Promise<void> {
    const n = this.node(node);
    if (n.kind === 'monitor') {
      await pollUntil('monitor accepting queries', () => this.monitorReady(), {
        timeoutMs: READY_TIMEOUT_MS,
        signal,
      });
      return;
    }
    await this.waitState(n, settled, signal);
  }

  async waitHealthy(signal: AbortSignal, timeoutMs = READY_TIMEOUT_MS): Promise<PgNodeState[]> {
    return pollUntil(
      'pg_auto_failover formation healthy (one primary, every other running node secondary)',
      async (s) => {
        const states = await this.states(s);
        return formationHealthy(
          states,
          this.nodes.filter((n) => this.running(n)),
        )
          ? states
          : undefined;
      },
      { timeoutMs, intervalMs: 100, signal },
    );
  }

  protected node(name: string): N {
    const n = name === this.monitor.name ? this.monitor : this.data.get(name);
    if (!n)
      throw new HarnessError(
        'NO_SUCH_SERVICE',
        `postgres-ha has no node "${name}" (has: ${this.nodes.join(', ')})`,
      );
    return n;
  }

  protected async monitorReady(): Promise<true> {
    this.assertRunning(this.monitor);
    return this.monitorClient.ready();
  }

  protected async waitState(
    n: N,
    ok: (s: PgNodeState) => boolean,
    signal?: AbortSignal,
    timeoutMs = READY_TIMEOUT_MS,
  ): Promise<void> {
    await pollUntil(
      `postgres-ha ${n.name} ready`,
      async (s) => {
        this.assertRunning(n);
        const st = (await this.states(s)).find((x) => x.name === n.name);
        return st && ok(st) ? st : undefined;
      },
      { timeoutMs, intervalMs: 100, signal },
    );
  }

  async #applyNodeSettings(n: N, signal: AbortSignal): Promise<void> {
    for (const [k, v] of Object.entries(FAST_NODE_SETTINGS))
      await this.query(n.name, `alter system set ${k} = '${v}'`);
    await this.query(n.name, 'select pg_reload_conf()', [], signal);
  }
}
