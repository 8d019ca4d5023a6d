// Configuration files for the data nodes and sentinels. Sentinel (and Redis, after Sentinel
// sends CONFIG REWRITE) rewrites these files, so they live in the writable work directory (in
// containers, a directory of the work directory mounted at the same path).

export const MASTER_NAME = 'mymaster';
export const HOST = '127.0.0.1';

/** Where other nodes reach a node: 127.0.0.1 and a port locally, its network alias in containers. */
export interface PeerAddress {
  host: string;
  port: number;
}

export interface DataNodeConfig {
  port: number;
  /** Listen address: loopback for local processes, every interface in a container. */
  bind: string;
  dir: string;
  /** Address announced to the master (its proxy locally, its alias in containers). */
  announce?: { ip: string; port?: number | undefined } | undefined;
  /** The master to replicate from; absent on the initial master. */
  replicaOf?: PeerAddress | undefined;
  minReplicasToWrite?: number | undefined;
  minReplicasMaxLagSec?: number | undefined;
}

/** What every data node and sentinel runs with: in the foreground, logging to stdout. */
function processLines(port: number, bind: string, dir: string): string[] {
  return [`port ${port}`, `bind ${bind}`, 'daemonize no', 'protected-mode no', `dir ${dir}`, 'logfile ""'];
}

export function dataNodeConf(c: DataNodeConfig): string {
  const lines = [
    ...processLines(c.port, c.bind, c.dir),
    // No persistence: the hazard of a restarted empty master is part of what is tested.
    'save ""',
    'appendonly no',
    // The default 5 s delay before a diskless full sync would add 5 s to every bring-up and rejoin.
    'repl-diskless-sync yes',
    'repl-diskless-sync-delay 0',
  ];
  if (c.announce !== undefined) {
    lines.push(`replica-announce-ip ${c.announce.ip}`);
    if (c.announce.port !== undefined) lines.push(`replica-announce-port ${c.announce.port}`);
  }
  if (c.minReplicasToWrite !== undefined) lines.push(`min-replicas-to-write ${c.minReplicasToWrite}`);
  if (c.minReplicasMaxLagSec !== undefined) lines.push(`min-replicas-max-lag ${c.minReplicasMaxLagSec}`);
  if (c.replicaOf !== undefined) lines.push(`replicaof ${c.replicaOf.host} ${c.replicaOf.port}`);
  return `${lines.join('\n')}\n`;
}

/** Replace (or add) the `replicaof` line: a node restarted after a failover must rejoin as a replica. */
export function withReplicaOf(conf: string, master: PeerAddress | undefined): string {
  const kept = conf.split('\n').filter((l) => l !== '' && !/^\s*(replicaof|slaveof)\s/i.test(l));
  if (master !== undefined) kept.push(`replicaof ${master.host} ${master.port}`);
  return `${kept.join('\n')}\n`;
}

export interface SentinelConfig {
  port: number;
  bind: string;
  dir: string;
  announce?: { ip: string; port?: number | undefined } | undefined;
  /**
   * Name nodes by hostname (Redis 7 `resolve-hostnames` / `announce-hostnames`): in containers
   * the aliases, so what the sentinels report is the same whatever IP a restarted container gets.
   */
  hostnames?: boolean;
  /** The initial master. */
  master: PeerAddress;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
}

export function sentinelConf(c: SentinelConfig): string {
  const lines = processLines(c.port, c.bind, c.dir);
  // Before `sentinel monitor`: the monitor line's host is resolved when it is read.
  if (c.hostnames) lines.push('sentinel resolve-hostnames yes', 'sentinel announce-hostnames yes');
  if (c.announce !== undefined) {
    lines.push(`sentinel announce-ip ${c.announce.ip}`);
    if (c.announce.port !== undefined) lines.push(`sentinel announce-port ${c.announce.port}`);
  }
  lines.push(
    `sentinel monitor ${MASTER_NAME} ${c.master.host} ${c.master.port} ${c.quorum}`,
    `sentinel down-after-milliseconds ${MASTER_NAME} ${c.downAfterMs}`,
    `sentinel failover-timeout ${MASTER_NAME} ${c.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${MASTER_NAME} 1`,
  );
  return `${lines.join('\n')}\n`;
}
