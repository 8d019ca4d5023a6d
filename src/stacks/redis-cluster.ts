// The contract between a Redis Cluster stack and the cluster probe: where a client starts, how it
// reaches the addresses the nodes announce, the slot ranges the cluster was created with, and who
// serves each range now.

import { extensionKey } from '../core/extensions.js';
import type { Endpoint, StartedEnvironment } from '../core/types.js';

/** A slot range as the cluster was created (slots from..to inclusive): one master and its replica. */
export interface SlotRange {
  /** "slots 0-5460". */
  name: string;
  from: number;
  to: number;
}

export interface RedisClusterTopology {
  /** Client-facing node addresses to start from (through the fault proxy when the environment uses one). */
  seeds: Endpoint[];
  /**
   * "host:port" as the nodes announce themselves (a network alias in containers) → where a client of
   * the harness reaches it; absent when the announced addresses are reachable as they are.
   */
  natMap?: Readonly<Record<string, Endpoint>>;
  /** The ranges the slots were split into at creation, in slot order. */
  ranges: readonly SlotRange[];
  /** Name of the service that serves `slot` as master now (as the running nodes agree), or undefined. */
  masterOf(slot: number, signal?: AbortSignal): Promise<string | undefined>;
  /** Resolves when cluster_state is ok on every running node, every slot covered, every master has its replica. */
  waitHealthy(signal?: AbortSignal, timeoutMs?: number): Promise<void>;
}

export const REDIS_CLUSTER = extensionKey<RedisClusterTopology>('redisCluster', 'Redis Cluster topology');

/** The topology, or undefined when the environment is no Redis Cluster. */
export function redisClusterTopology(env: StartedEnvironment): RedisClusterTopology | undefined {
  return env.extensions.get(REDIS_CLUSTER);
}
