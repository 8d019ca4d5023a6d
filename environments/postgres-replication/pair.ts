// Plain PostgreSQL streaming replication: node1 starts as the primary, node2 is its standby made
// with pg_basebackup, and node2's primary_conninfo points at the fault proxy's replication proxy,
// so the replication stream (and only it) crosses the fault proxy. What is common to the local
// processes (local-pair.ts) and the containers (container-pair.ts): roles, health, promotion and
// the controller the postgres probes and postgres-kill-primary use.
//
// No failover manager runs here: with autoPromote the environment itself promotes the standby
// (pg_promote) promoteDelayMs after it saw the primary's postgres die, the way a failover manager
// or an operator would, without fencing or rejoin.

import { HarnessError } from '../../src/core/errors.js';
import type { EmitEvent, LogFn } from '../../src/core/types.js';
import type {
  PgConnection,
  PgEndpoint,
  PgKilled,
  PgNodeState,
  PostgresController,
} from '../../src/stacks/postgres.js';
import { isWritable, pollUntil, queryOnce } from '../../src/stacks/postgres-client.js';
import type { PgNodeControl } from '../postgres-ha/services.js';

export const NODES = ['node1', 'node2'] as const;
export type NodeName = (typeof NODES)[number];
export const PRIMARY: NodeName = 'node1';
export const STANDBY: NodeName = 'node2';
export const REPLICATION_PROXY = 'replication-node2';
export const HOST = '127.0.0.1';
export const PG_USER = 'postgres';
const READY_TIMEOUT_MS = 60_000;

export type ReplicationMode = 'async' | 'sync';

export interface PairConfig {
  replication: ReplicationMode;
  autoPromote: boolean;
  promoteDelayMs: number;
  log: LogFn;
  emit: EmitEvent;
}

/** postgres -c settings of both nodes (a standby ignores the primary-only ones, and vice versa). */
export function commonSettings(port: number): Record<string, string> {
  return {
    port: String(port),
    wal_level: 'replica',
    max_wal_senders: '5',
    hot_standby: 'on',
    // A standby retries a lost stream after 0.5 s instead of 5 s.
    wal_retrieve_retry_interval: '500ms',
    // Feedback (write/flush/replay positions) at least every second, so replay_lag is current.
    wal_receiver_status_interval: '1s',
    // The proxy's latency and bandwidth toxics must slow the stream, not cut it: keep the
    // defaults (60 s) of the sender and receiver timeouts.
    fsync: 'on',
    log_line_prefix: '%m [%p] ',
  };
}

/** Only the first primary gets these: a promoted standby has no standby of its own to wait for. */
export function primarySettings(mode: ReplicationMode): Record<string, string> {
  return mode === 'sync'
    ? { synchronous_standby_names: `FIRST 1 (${STANDBY})`, synchronous_commit: 'on' }
    : { synchronous_standby_names: '', synchronous_commit: 'on' };
}

export function settingsArgs(settings: Record<string, string>): string[] {
  return Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
}

/** libpq primary_conninfo of the standby: through the replication proxy, named for sync rep. */
export function primaryConninfo(host: string, port: number): string {
  return `host=${host} port=${port} user=${PG_USER} application_name=${STANDBY} connect_timeout=2`;
}

/** What the harness reads about one node: reachable, in recovery, read-only. */
interface NodeStatus {
  name: NodeName;
  state: 'primary' | 'standby' | 'stopped' | 'unreachable';
}

export abstract class ReplicationPair implements PostgresController, PgNodeControl {
  readonly nodes: readonly string[] = NODES;
  readonly monitorUri = 'none (plain streaming replication, no monitor)';
  protected readonly cfg: PairConfig;
  /** Set once the standby was promoted: the old primary cannot simply come back. */
  promoted: { node: NodeName; atMs: number; afterExitMs: number; lsn: Record<string, unknown> } | undefined;
  #closing = false;
  #promoting: Promise<void> | undefined;

  constructor(cfg: PairConfig) {
    this.cfg = cfg;
  }

  /** Where the harness reaches a node (real port, never the proxy). */
  abstract connectionFor(node: string): PgConnection;
  abstract running(node: string): boolean;
  abstract serviceId(node: string): string | undefined;
  abstract killNode(node: string): Promise<PgKilled>;
  /** SIGKILL to the postmaster only; its children exit on their own once they see it gone. */
  abstract killPostmaster(node: string): Promise<PgKilled>;
  abstract signal(node: string, sig: NodeJS.Signals): boolean | Promise<boolean>;
  abstract stopNode(node: string, graceMs?: number): Promise<void>;
  abstract pauseNode(node: string): Promise<void>;
  abstract resumeNode(node: string): Promise<void>;
  abstract pgdata(node: string): string | undefined;
  /** Start a node's postgres again on its existing data directory. */
  protected abstract launch(node: NodeName): Promise<void>;
  /** Stop and remove everything (processes or containers, data). */
  protected abstract teardown(): Promise<void>;

  protected name(node: string): NodeName {
    if (!(NODES as readonly string[]).includes(node)) {
      throw new HarnessError(
        'NO_SUCH_SERVICE',
        `postgres-replication has no node "${node}" (has: ${NODES.join(', ')})`,
      );
    }
    return node as NodeName;
  }

  /** Called by a runner when a node's postgres exited on its own (not stopped by the harness). */
  protected onUnexpectedExit(node: NodeName): void {
    if (this.#closing || !this.cfg.autoPromote || this.promoted) return;
    if (node === STANDBY || !this.running(STANDBY)) return;
    const exitAt = performance.now();
    this.#promoting ??= this.#promoteAfterDelay(exitAt).finally(() => {
      this.#promoting = undefined;
    });
  }

  async #promoteAfterDelay(exitAt: number): Promise<void> {
    await new Promise((r) => setTimeout(r, this.cfg.promoteDelayMs));
    if (this.#closing) return;
    try {
      await this.promote(STANDBY, AbortSignal.timeout(30_000), performance.now() - exitAt);
    } catch (err) {
      this.cfg.emit('promote-failed', `${STANDBY} could not be promoted: ${(err as Error).message}`, {
        node: STANDBY,
      });
    }
  }

  /** pg_promote on the standby, waiting until it accepts writes. */
  async promote(node: NodeName, signal: AbortSignal, afterExitMs = 0): Promise<void> {
    const conn = this.connectionFor(node);
    const before = await queryOnce<{ received: string | null; replayed: string | null }>(
      conn,
      'select pg_last_wal_receive_lsn()::text as received, pg_last_wal_replay_lsn()::text as replayed',
      [],
      { timeoutMs: 5000, signal },
    );
    const t0 = performance.now();
    await queryOnce(conn, 'select pg_promote(true, 30)', [], { timeoutMs: 35_000, signal });
    await pollUntil(
      `postgres-replication: ${node} writable after pg_promote`,
      (s) => isWritable(conn, { timeoutMs: 1000, signal: s }).then((w) => (w ? true : undefined)),
      { timeoutMs: 30_000, intervalMs: 20, signal },
    );
    const lsn = { receivedAtPromotion: before[0]?.received, replayedAtPromotion: before[0]?.replayed };
    this.promoted = { node, atMs: performance.now(), afterExitMs: Math.round(afterExitMs), lsn };
    const tookMs = Math.round(performance.now() - t0);
    this.cfg.emit(
      'promoted',
      `${node} promoted ${Math.round(afterExitMs)} ms after the primary's postgres exited (pg_promote took ${tookMs} ms; it had received WAL up to ${lsn.receivedAtPromotion})`,
      { node, afterExitMs: Math.round(afterExitMs), promoteMs: tookMs, ...lsn },
    );
  }

  async #status(node: NodeName, signal?: AbortSignal): Promise<NodeStatus> {
    if (!this.running(node)) return { name: node, state: 'stopped' };
    try {
      const rows = await queryOnce<{ rec: boolean }>(
        this.connectionFor(node),
        'select pg_is_in_recovery() as rec',
        [],
        { timeoutMs: 1000, signal },
      );
      return { name: node, state: rows[0]?.rec ? 'standby' : 'primary' };
    } catch {
      return { name: node, state: 'unreachable' };
    }
  }

  async roleOf(node: string, signal?: AbortSignal): Promise<string> {
    const s = await this.#status(this.name(node), signal);
    return s.state === 'standby' ? 'replica' : s.state;
  }

  #endpoint(node: NodeName): PgEndpoint {
    const c = this.connectionFor(node);
    return { name: node, host: c.host, port: c.port };
  }

  /** The node that is not in recovery (the primary may be busy; it is not asked to accept a write). */
  async primary(signal?: AbortSignal): Promise<PgEndpoint> {
    for (const n of NODES) {
      if ((await this.#status(n, signal)).state === 'primary') return this.#endpoint(n);
    }
    throw new Error('postgres-replication: no node is a primary now (not in recovery)');
  }

  async writablePrimary(signal?: AbortSignal): Promise<PgEndpoint | undefined> {
    for (const n of NODES) {
      if (!this.running(n)) continue;
      const ok = await isWritable(this.connectionFor(n), { timeoutMs: 1000, signal }).catch(() => false);
      if (ok) return this.#endpoint(n);
    }
    return undefined;
  }

  async states(signal?: AbortSignal): Promise<PgNodeState[]> {
    const out: PgNodeState[] = [];
    for (const n of NODES) {
      const s = await this.#status(n, signal);
      out.push({ ...this.#endpoint(n), reportedState: s.state, goalState: s.state });
    }
    return out;
  }

  /** One primary that accepts writes, and every other running node streaming from it. */
  async waitHealthy(signal: AbortSignal, timeoutMs = READY_TIMEOUT_MS): Promise<PgNodeState[]> {
    return pollUntil(
      'postgres-replication: a writable primary with its running standby streaming',
      async (s) => {
        const p = await this.writablePrimary(s);
        if (!p) return undefined;
        const others = NODES.filter((n) => n !== p.name && this.running(n));
        if (others.length > 0) {
          const rows = await queryOnce<{ name: string; sync: string }>(
            this.connectionFor(p.name),
            "select application_name as name, sync_state as sync from pg_stat_replication where state = 'streaming'",
            [],
            { timeoutMs: 1000, signal: s },
          );
          const streaming = new Set(rows.map((r) => r.name));
          if (!others.every((n) => streaming.has(n))) return undefined;
          if (this.cfg.replication === 'sync' && p.name === PRIMARY && !rows.some((r) => r.sync === 'sync'))
            return undefined;
        }
        return this.states(s);
      },
      { timeoutMs, intervalMs: 50, signal },
    );
  }

  async waitReady(node: string, signal?: AbortSignal): Promise<void> {
    const n = this.name(node);
    await pollUntil(
      `postgres-replication: ${n} accepting connections`,
      async (s) => {
        if (!this.running(n)) throw new HarnessError('PROCESS_EXITED', `postgres-replication ${n} exited`);
        await queryOnce(this.connectionFor(n), 'select 1', [], { timeoutMs: 1000, signal: s });
        return true;
      },
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 50, signal },
    );
  }

  async startNode(node: string, signal?: AbortSignal): Promise<void> {
    const n = this.name(node);
    if (this.running(n)) return this.waitReady(n, signal);
    if (this.promoted && n !== this.promoted.node) {
      throw new HarnessError(
        'RECOVERY_FAILED',
        `postgres-replication: ${n} was the primary before ${this.promoted.node} was promoted; ` +
          'bringing it back needs pg_rewind or a new base backup, which this environment does not do ' +
          '(use restart: false on postgres-kill-primary, and one iteration)',
      );
    }
    await this.launch(n);
    await this.waitReady(n, signal);
  }

  /** postgres-kill-primary's rejoin: start the node again, then wait for a healthy pair. */
  async restartNode(node: string, signal: AbortSignal): Promise<void> {
    await this.startNode(node, signal);
    await this.waitHealthy(signal);
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#promoting?.catch(() => undefined);
    await this.teardown();
  }
}
