// Configuration files for the data nodes and sentinels. Sentinel (and Redis, after Sentinel
// sends CONFIG REWRITE) rewrites these files, so they live in the writable work directory.

export const MASTER_NAME = 'mymaster';
export const HOST = '127.0.0.1';

export interface DataNodeConfig {
  port: number;
  dir: string;
  /** Port other nodes and clients reach this node at (its proxy), announced to the master. */
  announcePort?: number | undefined;
  /** Client-facing port of the master to replicate from; absent on the initial master. */
  replicaOfPort?: number | undefined;
  minReplicasToWrite?: number | undefined;
  minReplicasMaxLagSec?: number | undefined;
}

/** What every data node and sentinel runs with: loopback only, in the foreground, logging to stdout. */
function processLines(port: number, dir: string): string[] {
  return [`port ${port}`, `bind ${HOST}`, 'daemonize no', 'protected-mode no', `dir ${dir}`, 'logfile ""'];
}

export function dataNodeConf(c: DataNodeConfig): string {
  const lines = [
    ...processLines(c.port, c.dir),
    // No persistence: the hazard of a restarted empty master is part of what is tested.
    'save ""',
    'appendonly no',
    // The default 5 s delay before a diskless full sync would add 5 s to every bring-up and rejoin.
    'repl-diskless-sync yes',
    'repl-diskless-sync-delay 0',
  ];
  if (c.announcePort !== undefined)
    lines.push(`replica-announce-ip ${HOST}`, `replica-announce-port ${c.announcePort}`);
  if (c.minReplicasToWrite !== undefined) lines.push(`min-replicas-to-write ${c.minReplicasToWrite}`);
  if (c.minReplicasMaxLagSec !== undefined) lines.push(`min-replicas-max-lag ${c.minReplicasMaxLagSec}`);
  if (c.replicaOfPort !== undefined) lines.push(`replicaof ${HOST} ${c.replicaOfPort}`);
  return `${lines.join('\n')}\n`;
}

/** Replace (or add) the `replicaof` line: a node restarted after a failover must rejoin as a replica. */
export function withReplicaOf(conf: string, masterPort: number | undefined): string {
  const kept = conf.split('\n').filter((l) => l !== '' && !/^\s*(replicaof|slaveof)\s/i.test(l));
  if (masterPort !== undefined) kept.push(`replicaof ${HOST} ${masterPort}`);
  return `${kept.join('\n')}\n`;
}

export interface SentinelConfig {
  port: number;
  dir: string;
  announcePort?: number | undefined;
  /** Client-facing port of the initial master. */
  masterPort: number;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
}

export function sentinelConf(c: SentinelConfig): string {
  const lines = processLines(c.port, c.dir);
  if (c.announcePort !== undefined)
    lines.push(`sentinel announce-ip ${HOST}`, `sentinel announce-port ${c.announcePort}`);
  lines.push(
    `sentinel monitor ${MASTER_NAME} ${HOST} ${c.masterPort} ${c.quorum}`,
    `sentinel down-after-milliseconds ${MASTER_NAME} ${c.downAfterMs}`,
    `sentinel failover-timeout ${MASTER_NAME} ${c.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${MASTER_NAME} 1`,
  );
  return `${lines.join('\n')}\n`;
}
