// PostgreSQL 15 streaming replication, primary (node1) + one standby (node2, pg_basebackup), with
// the replication link through the fault proxy: node2's primary_conninfo names the proxy
// `replication-node2`, whose upstream is node1's real port. Clients, probes and the harness's own
// checks connect to the real ports, so network faults on the primary act on replication only.
// Asynchronous (default) or synchronous (`replication: sync`). With autoPromote the environment
// promotes node2 when node1's postgres dies (pair.ts). Local processes or containers.

import { Toxiproxy } from 'toxiproxy-node-client';
import { z } from 'zod';
import { HarnessError } from '../../src/core/errors.js';
import { Extensions, provide, WAIT_HEALTHY } from '../../src/core/extensions.js';
import type { StartedEnvironment, StartedService } from '../../src/core/types.js';
import { binaryVersions, onHost } from '../../src/providers/binary-versions.js';
import { type BridgeForwarder, startBridgeForwarder } from '../../src/providers/compose/bridge-forwarder.js';
import type { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import type { EnvironmentModule } from '../../src/providers/provider.js';
import {
  FAULT_PROXY,
  type StartedFaultProxy,
  startFaultProxy,
  staticRouting,
} from '../../src/proxy/index.js';
import { MAX_TIMER_MS } from '../../src/scenario/duration.js';
import { POSTGRES } from '../../src/stacks/postgres.js';
import { PgService, resolveService } from '../postgres-ha/services.js';
import { ContainerReplicationPair } from './container-pair.js';
import { LocalReplicationPair, PG_BIN } from './local-pair.js';
import {
  HOST,
  NODES,
  PRIMARY,
  primarySettings,
  REPLICATION_PROXY,
  type ReplicationPair,
  STANDBY,
} from './pair.js';

export const postgresReplicationOptions = z.strictObject({
  /** async: commits return once flushed on the primary; sync: once flushed on the standby too. */
  replication: z.enum(['async', 'sync']).default('async'),
  /** Promote the standby when the primary's postgres dies (a failover manager's job). */
  autoPromote: z.boolean().default(true),
  /** How long after the primary died the standby is promoted (a failover manager's detection time). */
  promoteDelayMs: z.number().int().min(0).max(MAX_TIMER_MS).default(1000),
});

export type PostgresReplicationOptions = z.infer<typeof postgresReplicationOptions>;

const BRING_UP_TIMEOUT_MS = 120_000;

/** The run network's gateway: the host address its containers reach the bridge forwarder at. */
async function networkGateway(rt: ContainerRuntime): Promise<string> {
  const info = await rt.docker.getNetwork(rt.network).inspect();
  const gw = (info.IPAM?.Config ?? []).map((c) => c.Gateway).find(Boolean);
  if (!gw) {
    throw new HarnessError(
      'CONTAINERS_UNAVAILABLE',
      `network ${rt.network} has no gateway address: node2 cannot reach the fault proxy on the host`,
    );
  }
  return gw;
}

const postgresReplication: EnvironmentModule<PostgresReplicationOptions> = {
  description:
    'PostgreSQL 15 primary + 1 streaming standby (pg_basebackup), the replication link through the fault proxy; async or sync',
  options: postgresReplicationOptions,
  providers: ['local', 'containers'],
  // Only node1's replication link is behind the proxy: role primary resolves to node1 until a
  // promotion, and network faults on it act on the stream to node2.
  services: () => [
    { name: PRIMARY, roles: ['primary', 'replica'], faultProxy: true },
    { name: STANDBY, roles: ['primary', 'replica'] },
  ],
  async start(ctx, o) {
    const t0 = ctx.clock.now();
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(BRING_UP_TIMEOUT_MS)]);
    const ports = { node1: await ctx.freePort(), node2: await ctx.freePort() };
    const replicationPort = await ctx.freePort();
    const proxy: StartedFaultProxy = await startFaultProxy({ apiPort: 0 });
    let pair: ReplicationPair | undefined;
    let forwarder: BridgeForwarder | undefined;
    const stop = async () => {
      try {
        await pair?.close();
      } finally {
        await forwarder?.close();
        await proxy.close();
      }
    };
    try {
      const api = new Toxiproxy(proxy.apiUrl);
      await api.createProxy({
        name: REPLICATION_PROXY,
        listen: `${HOST}:${replicationPort}`,
        upstream: `${HOST}:${ports.node1}`,
      });
      const common = {
        replication: o.replication,
        autoPromote: o.autoPromote,
        promoteDelayMs: o.promoteDelayMs,
        log: ctx.log,
        emit: ctx.emit,
      };
      if (ctx.provider === 'containers') {
        const rt = ctx.containers;
        if (!rt)
          throw new HarnessError('INTERNAL', 'postgres-replication: the containers provider gave no runtime');
        forwarder = await startBridgeForwarder(await networkGateway(rt), replicationPort);
        const [fwdHost, fwdPort] = forwarder.address.split(':') as [string, string];
        const c = await ContainerReplicationPair.create({
          ...common,
          containers: rt,
          runDir: ctx.runDir,
          ports,
          replicationAddress: { host: fwdHost, port: Number(fwdPort) },
        });
        pair = c;
        await c.start(signal);
      } else {
        const local = new LocalReplicationPair({
          ...common,
          runId: ctx.runId,
          workDir: ctx.workDir,
          runDir: ctx.runDir,
          ports,
          replicationPort,
        });
        pair = local;
        await local.start(signal);
      }
    } catch (err) {
      await stop();
      throw err;
    }
    const bringUpMs = ctx.clock.now() - t0;
    const p = pair;
    let versions: Record<string, string | undefined>;
    try {
      versions =
        p instanceof ContainerReplicationPair
          ? await p.versions()
          : await binaryVersions(onHost, { postgres: [`${PG_BIN}/postgres`, '--version'] });
    } catch (err) {
      await stop();
      throw err;
    }
    ctx.emit('environment-ready', `postgres-replication up in ${Math.round(bringUpMs)} ms`, { bringUpMs });

    const services = new Map<string, StartedService>();
    for (const n of NODES) services.set(n, new PgService(p, n, ports[n]));
    const routing = staticRouting(proxy.apiUrl, { [PRIMARY]: [REPLICATION_PROXY] });
    const env: StartedEnvironment = {
      name: ctx.name,
      runDir: ctx.runDir,
      workDir: ctx.workDir,
      services,
      resolve: (target, s) => resolveService(services, target, s, 'postgres-replication'),
      info: {
        bringUpMs,
        provider: ctx.provider,
        versions,
        topology: `${PRIMARY} primary, ${STANDBY} streaming standby (pg_basebackup of ${PRIMARY})`,
        replication: o.replication,
        primarySettings: primarySettings(o.replication),
        throughFaultProxy: `replication only: ${STANDBY}'s primary_conninfo → ${forwarder ? `${forwarder.address} (bridge forwarder on the host) → ` : ''}proxy ${REPLICATION_PROXY} (${HOST}:${replicationPort}) → ${PRIMARY} (${HOST}:${ports.node1}); clients, probes and the harness's checks use the real ports`,
        ...(p instanceof ContainerReplicationPair
          ? { containers: Object.fromEntries(NODES.map((n) => [n, p.containerId(n)])) }
          : {}),
        faultProxyApi: proxy.apiUrl,
        ports: { ...ports, replicationProxy: replicationPort },
        autoPromote: o.autoPromote,
        promoteDelayMs: o.promoteDelayMs,
      },
      extensions: new Extensions(
        provide(POSTGRES, p),
        provide(WAIT_HEALTHY, (s, timeoutMs) => p.waitHealthy(s, timeoutMs)),
        provide(FAULT_PROXY, routing),
      ),
      async [Symbol.asyncDispose]() {
        await stop();
      },
    };
    return env;
  },
};

export default postgresReplication;
