// PostgreSQL 15 with pg_auto_failover: a monitor and 2 or 3 data nodes with synchronous
// streaming replication and automatic failover, run as local processes (user postgres) or, with
// the containers provider, one container per pg_autoctl (container-cluster.ts).
// With viaProxy, client connections (connectionFor) cross one fault-proxy proxy per data node;
// the harness's own checks, the monitor and replication keep the real ports (proxy-routing.ts).

import { z } from 'zod';
import { HarnessError } from '../../src/core/errors.js';
import { Extensions, provide, WAIT_HEALTHY } from '../../src/core/extensions.js';
import type { StartedEnvironment, StartedService, TargetSelector } from '../../src/core/types.js';
import { binaryVersions, onHost } from '../../src/providers/binary-versions.js';
import type { EnvironmentModule } from '../../src/providers/provider.js';
import { FAULT_PROXY } from '../../src/proxy/index.js';
import type { PostgresController } from '../../src/stacks/postgres.js';
import { POSTGRES } from '../../src/stacks/postgres.js';
import { PgAutoFailoverCluster } from './cluster.js';
import { CONTAINER_PGDATA, PgContainerCluster } from './container-cluster.js';
import type { ReplicationSetup } from './formation.js';
import { type NodeProxies, ProxiedController, startNodeProxies } from './proxy-routing.js';
import { PgService, resolveService } from './services.js';
import { FAST_MONITOR_SETTINGS, FAST_NODE_SETTINGS, PG_AUTOCTL, PG_BIN } from './settings.js';

export const postgresHaOptions = z.strictObject({
  nodes: z.union([z.literal(2), z.literal(3)]).default(2),
  /** Tuned monitor health checks (~2 s failover) instead of pg_auto_failover's defaults (~51 s). */
  fastFailover: z.boolean().default(true),
  /** Clients reach each data node through its own fault-proxy proxy (needed for network faults). */
  viaProxy: z.boolean().default(false),
});

export type PostgresHaOptions = z.infer<typeof postgresHaOptions>;

const BRING_UP_TIMEOUT_MS = 120_000;

const postgresHa: EnvironmentModule<PostgresHaOptions> = {
  description:
    'PostgreSQL 15 primary + streaming replicas managed by pg_auto_failover (monitor + 2-3 data nodes, sync replication)',
  options: postgresHaOptions,
  providers: ['local', 'containers'],
  // Names as the cluster gives them (cluster.ts): the monitor, then node1..nodeN; only data nodes
  // are behind the fault proxy.
  services: (o) => [
    { name: 'monitor', roles: ['monitor'] },
    ...Array.from({ length: o.nodes }, (_, i) => ({
      name: `node${i + 1}`,
      roles: ['primary', 'replica'],
      faultProxy: o.viaProxy,
    })),
  ],
  async start(ctx, options) {
    const common = {
      nodes: options.nodes,
      fastFailover: options.fastFailover,
      runDir: ctx.runDir,
      freePort: () => ctx.freePort(),
      log: ctx.log,
      emit: ctx.emit,
    };
    let cluster: PgAutoFailoverCluster | PgContainerCluster;
    if (ctx.provider === 'containers') {
      if (!ctx.containers)
        throw new HarnessError('INTERNAL', 'postgres-ha: the containers provider gave no container runtime');
      cluster = await PgContainerCluster.create({ ...common, containers: ctx.containers });
    } else {
      cluster = await PgAutoFailoverCluster.create({ ...common, runId: ctx.runId, workDir: ctx.workDir });
    }
    const t0 = ctx.clock.now();
    let proxies: NodeProxies | undefined;
    const stop = async () => {
      try {
        await cluster.stop();
      } finally {
        await proxies?.close();
      }
    };
    try {
      if (options.viaProxy) {
        const real = cluster.nodes.map((name) => ({ name, port: cluster.connectionFor(name).port }));
        proxies = await startNodeProxies(real, () => ctx.freePort());
      }
      await cluster.start(AbortSignal.any([ctx.signal, AbortSignal.timeout(BRING_UP_TIMEOUT_MS)]));
    } catch (err) {
      await stop();
      throw err;
    }
    const bringUpMs = ctx.clock.now() - t0;
    let servers: Record<string, unknown>;
    try {
      servers =
        cluster instanceof PgContainerCluster
          ? {
              provider: 'containers',
              ...(await cluster.versions()),
              pgdata: `${CONTAINER_PGDATA} inside each container (not on the host)`,
              containers: Object.fromEntries(
                ['monitor', ...cluster.nodes].map((n) => [n, cluster.containerId(n)?.slice(0, 12)]),
              ),
            }
          : {
              provider: 'local',
              versions: await binaryVersions(onHost, {
                postgres: [`${PG_BIN}/postgres`, '--version'],
                pg_autoctl: [PG_AUTOCTL, '--version'],
              }),
            };
      if (cluster instanceof PgContainerCluster) {
        const v = await cluster.versions();
        servers.versions = { postgres: v.postgres, pg_autoctl: v.pgAutoctl };
      }
    } catch (err) {
      await stop();
      throw err;
    }
    let replication: ReplicationSetup;
    try {
      replication = await cluster.replicationSetup(ctx.signal);
    } catch (err) {
      await stop();
      throw err;
    }
    ctx.emit('environment-ready', `postgres-ha up in ${Math.round(bringUpMs)} ms`, { bringUpMs });

    const services = new Map<string, StartedService>();
    const clientPorts = proxies?.clientPorts ?? new Map<string, number>();
    for (const name of ['monitor', ...cluster.nodes]) {
      const realPort = cluster.connectionFor(name).port;
      services.set(name, new PgService(cluster, name, clientPorts.get(name) ?? realPort, realPort));
    }
    const controller: PostgresController = proxies ? new ProxiedController(cluster, clientPorts) : cluster;
    const env: StartedEnvironment = {
      name: ctx.name,
      runDir: ctx.runDir,
      workDir: ctx.workDir,
      services,
      resolve: (target: TargetSelector, signal?: AbortSignal) => resolveService(services, target, signal),
      info: {
        bringUpMs,
        ...servers,
        nodes: options.nodes,
        fastFailover: options.fastFailover,
        viaProxy: options.viaProxy,
        ...(proxies
          ? {
              faultProxyApi: proxies.routing.apiUrl,
              ports: Object.fromEntries(
                cluster.nodes.map((n) => [
                  n,
                  { real: cluster.connectionFor(n).port, client: clientPorts.get(n) },
                ]),
              ),
            }
          : {}),
        monitorSettings: options.fastFailover ? FAST_MONITOR_SETTINGS : 'pg_auto_failover defaults',
        nodeSettings: options.fastFailover ? FAST_NODE_SETTINGS : 'postgres defaults',
        monitorUri: cluster.monitorUri,
        topology: replication.topology,
        synchronousReplication:
          `synchronous_standby_names = '${replication.synchronousStandbyNames}', ` +
          `synchronous_commit = ${replication.synchronousCommit}, ` +
          `number_sync_standbys = ${replication.numberSyncStandbys} (read from the running formation at bring-up; ` +
          'pg_auto_failover turns synchronous replication off while no standby is healthy)',
        replicationQuorum: replication.nodes,
      },
      extensions: new Extensions(
        provide(POSTGRES, controller),
        provide(WAIT_HEALTHY, (signal) => cluster.waitHealthy(signal)),
        ...(proxies ? [provide(FAULT_PROXY, proxies.routing)] : []),
      ),
      async [Symbol.asyncDispose]() {
        await stop();
      },
    };
    return env;
  },
};

export default postgresHa;
