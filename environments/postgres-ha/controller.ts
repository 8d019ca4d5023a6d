// The contract between the postgres-ha environment and the postgres probes and injector.
// Probes and injectors reach the cluster only through `env.extensions.postgres`, so another
// PostgreSQL environment (containers, Patroni) can plug in by providing the same shape.

import { HarnessError } from '../../src/core/errors.js';
import type { StartedEnvironment } from '../../src/core/types.js';

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

/** Pids of a data node's processes, for kill details (in a container: pids inside its namespace). */
export interface PgNodePids {
  keeper: number | undefined;
  postmaster: number | undefined;
  /** The container the node runs in (containers provider). */
  container?: string | undefined;
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
  pids(node: string): PgNodePids;
  /** SIGKILL the node's whole process group (keeper + postgres). Resolves when the keeper is reaped. */
  killNode(node: string): Promise<PgNodePids>;
  /** SIGKILL only the postmaster; the keeper stays alive. Returns the killed pid. */
  killPostmaster(node: string): Promise<number>;
  /** `pg_autoctl run` for a killed node; resolves once it is back as a secondary. */
  restartNode(node: string, signal: AbortSignal): Promise<void>;
  /** Resolves when the formation has one primary and every other running node is a secondary. */
  waitHealthy(signal: AbortSignal): Promise<PgNodeState[]>;
  /** Whether the node's keeper process is running. */
  running(node: string): boolean;
}

export function getPostgresController(env: StartedEnvironment): PostgresController {
  const c = env.extensions.postgres as PostgresController | undefined;
  if (!c || typeof c.primary !== 'function') {
    throw new HarnessError(
      'INVALID_INPUT',
      `environment "${env.name}" has no PostgreSQL controller (extensions.postgres); use environment postgres-ha`,
    );
  }
  return c;
}
