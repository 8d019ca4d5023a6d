// The configuration file of a cluster node. Redis rewrites nodes.conf (the cluster's state: node ids,
// epochs, slots) in the node's directory, so a node restarted after a kill knows its id and rejoins.

export const HOST = '127.0.0.1';

export interface ClusterNodeConfig {
  port: number;
  /** Listen address: loopback for local processes, every interface in a container. */
  bind: string;
  dir: string;
  /** The cluster bus port (gossip, failure detection, failover votes); set, so port + 10000 need not be free. */
  busPort: number;
  nodeTimeoutMs: number;
  requireFullCoverage: boolean;
  /**
   * What the node announces to clients (MOVED, CLUSTER SLOTS) and peers: locally 127.0.0.1 and the
   * port of its proxy on the fault proxy; in containers its network alias as hostname.
   */
  announce?: { ip?: string; port?: number; hostname?: string } | undefined;
}

export function clusterNodeConf(c: ClusterNodeConfig): string {
  const lines = [
    `port ${c.port}`,
    `bind ${c.bind}`,
    'daemonize no',
    'protected-mode no',
    `dir ${c.dir}`,
    'logfile ""',
    // No persistence, as in redis-sentinel: a master restarted before its replica took over would
    // come back empty; the node's start() waits for the failover first (cluster-node.ts).
    'save ""',
    'appendonly no',
    // The default 5 s delay before a diskless full sync would add 5 s to every bring-up and rejoin.
    'repl-diskless-sync yes',
    'repl-diskless-sync-delay 0',
    'cluster-enabled yes',
    'cluster-config-file nodes.conf',
    `cluster-node-timeout ${c.nodeTimeoutMs}`,
    `cluster-port ${c.busPort}`,
    `cluster-require-full-coverage ${c.requireFullCoverage ? 'yes' : 'no'}`,
  ];
  const a = c.announce;
  if (a?.ip !== undefined) lines.push(`cluster-announce-ip ${a.ip}`);
  if (a?.port !== undefined)
    lines.push(`cluster-announce-port ${a.port}`, `cluster-announce-bus-port ${c.busPort}`);
  if (a?.hostname !== undefined) {
    lines.push(`cluster-announce-hostname ${a.hostname}`, 'cluster-preferred-endpoint-type hostname');
  }
  return `${lines.join('\n')}\n`;
}
