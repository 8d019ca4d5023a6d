// The contract between a PostgreSQL HA stack and the postgres probes and injector. They reach the
// cluster only through this extension, so another PostgreSQL environment (Patroni, a managed
// service) plugs in by providing the same shape; postgres-ha provides it locally and in containers.

import { extensionKey } from '../core/extensions.js';
import type { StartedEnvironment } from '../core/types.js';

export interface PgEndpoint {
  name: string;
  host: string;
  port: number;
}

/** What the monitor says about one data node right now. */
export interface PgNodeState extends PgEndpoint {
  reportedState: string;
  goalState: string;
}

/** node-postgres connection settings for a node (superuser, trust auth, no password). */
export interface PgConnection {
  host: string;
  port: number;
  user: string;
  database: string;
}

/** What a kill hit, in the provider's own terms, for the report. */
export interface PgKilled {
  /** e.g. "pids 4242/4250", "pids 37/52 in container 3f2a1b9c04d1". */
  what: string;
  details: Record<string, unknown>;
}

export interface PostgresController {
  /** Data node names, e.g. ['node1', 'node2']. */
  readonly nodes: readonly string[];
  /** libpq URI of the pg_auto_failover monitor database. */
  readonly monitorUri: string;
  connectionFor(node: string): PgConnection;
  /** The node the monitor considers primary (may still be read-only right after a promotion). */
  primary(signal?: AbortSignal): Promise<PgEndpoint>;
  /** Probes every node; the one that accepts writes now (not in recovery, not read-only). */
  writablePrimary(signal?: AbortSignal): Promise<PgEndpoint | undefined>;
  states(signal?: AbortSignal): Promise<PgNodeState[]>;
  /** SIGKILL the whole node (keeper + postgres, a machine dying). Resolves when it is gone. */
  killNode(node: string): Promise<PgKilled>;
  /** SIGKILL only the postmaster; the keeper stays alive. */
  killPostmaster(node: string): Promise<PgKilled>;
  /** `pg_autoctl run` for a killed node; resolves once it is back as a secondary. */
  restartNode(node: string, signal: AbortSignal): Promise<void>;
  /** Resolves when the formation has one primary and every other running node is a secondary. */
  waitHealthy(signal: AbortSignal): Promise<PgNodeState[]>;
  /** Whether the node's keeper is running. */
  running(node: string): boolean;
  /**
   * The failover steps the monitor took in the last `msAgo` ms (goal states of a failover:
   * draining, report_lsn, prepare_promotion, stop_replication, demote_timeout, demoted), oldest
   * first, each once, as "<node> -> <goal state>"; empty when it ran none.
   */
  failoverStepsSince?(msAgo: number, signal?: AbortSignal): Promise<string[]>;
}

export const POSTGRES = extensionKey<PostgresController>('postgres', 'PostgreSQL controller');

export function getPostgresController(env: StartedEnvironment, who: string): PostgresController {
  return env.extensions.require(POSTGRES, {
    env: env.name,
    who,
    code: 'INVALID_INPUT',
    hint: 'use environment postgres-ha',
  });
}
