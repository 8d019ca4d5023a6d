// The contract between a Redis + Sentinel stack and the redis probes and injector: where the
// sentinels are, which node they elect, and how a harness client reaches the nodes they report.

import { extensionKey } from '../core/extensions.js';
import type { Endpoint, StartedEnvironment } from '../core/types.js';

export interface RedisSentinelTopology {
  masterName: string;
  /** Client-facing sentinel addresses (through the fault proxy when the environment uses one). */
  sentinels: Endpoint[];
  /**
   * "host:port" as the sentinels report a node (its alias in a container network) → where a client
   * of the harness reaches it (a published 127.0.0.1 port); absent when they report reachable addresses.
   */
  natMap?: Readonly<Record<string, Endpoint>>;
  /** Name of the data service a majority of sentinels calls master now. */
  electedMaster(signal?: AbortSignal): Promise<string | undefined>;
  /** Resolves when one master, every running replica attached and every sentinel agreeing. */
  waitHealthy(signal?: AbortSignal, timeoutMs?: number): Promise<void>;
}

export const REDIS_SENTINEL = extensionKey<RedisSentinelTopology>('redisSentinel', 'Redis Sentinel topology');

/** The topology, or undefined when the environment has no Sentinel. */
export function redisSentinelTopology(env: StartedEnvironment): RedisSentinelTopology | undefined {
  return env.extensions.get(REDIS_SENTINEL);
}
