// Redis 7 with Sentinel: 1 master + 2 replicas + 3 sentinels (quorum 2), as local processes or as
// containers on the run's network.
// Local, with viaProxy every node is reached only through its own proxy on the fault proxy: nodes
// announce the proxy's port, so clients, replicas and sentinels all cross it and cutting one
// node's proxy is a complete network fault for that node.
// In containers every node listens on its own port P inside and is published on 127.0.0.1:P, and
// nodes announce their network alias: replication and gossip stay inside the network, host
// clients reach "alias:P" through 127.0.0.1:P (the extension's natMap), and a partition is a real
// one (packets dropped in the node's network namespace, src/providers/containers/partition.ts).
import 'disposablestack/auto';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { HarnessError } from '../../src/core/errors.js';
import { WAIT_HEALTHY } from '../../src/core/extensions.js';
import type { Endpoint, StartedEnvironment } from '../../src/core/types.js';
import { binaryVersions, inContainer, onHost } from '../../src/providers/binary-versions.js';
import { containerDataFiles } from '../../src/providers/containers/container-data-files.js';
import type { ManagedContainer } from '../../src/providers/containers/managed-container.js';
import { isolateContainer, NETTOOLS_IMAGE } from '../../src/providers/containers/partition.js';
import type { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import { localDataFiles } from '../../src/providers/local/local-data-files.js';
import { LocalEnvironment } from '../../src/providers/local/local-environment.js';
import type { EnvironmentModule, EnvironmentStartContext } from '../../src/providers/provider.js';
import type { SupervisedServiceOptions } from '../../src/providers/supervised-service.js';
import { FAULT_PROXY } from '../../src/proxy/index.js';
import { proxyEachNode } from '../../src/proxy/node-proxies.js';
import { MAX_TIMER_MS } from '../../src/scenario/duration.js';
import { REDIS_SENTINEL, type RedisSentinelTopology } from '../../src/stacks/redis-sentinel.js';
import { dataNodeConf, HOST, MASTER_NAME, sentinelConf } from './redis-config.js';
import { RedisDataNode, RedisService, type RedisServiceExtras } from './redis-service.js';
import { watchSentinelEvents } from './sentinel-events.js';
import { type NodeAddress, Topology } from './topology.js';

export const redisSentinelOptions = z.strictObject({
  /** Route every node through its own fault-proxy proxy (needed for network faults). */
  viaProxy: z.boolean().default(true),
  /** min-replicas-to-write on every data node: a master without this many replicas refuses writes. */
  minReplicasToWrite: z
    .number()
    .int()
    .min(0)
    .max(2, { error: 'expected at most 2 (the master has 2 replicas)' })
    .optional(),
  /** min-replicas-max-lag (seconds) for minReplicasToWrite. */
  minReplicasMaxLagSec: z
    .number()
    .int()
    .min(1)
    .max(MAX_TIMER_MS / 1000)
    .optional(),
  /** sentinel down-after-milliseconds; Sentinel's own default is 30000. */
  downAfterMs: z.number().int().positive().max(MAX_TIMER_MS).default(1000),
  /** sentinel failover-timeout; Sentinel's own default is 180000. */
  failoverTimeoutMs: z.number().int().positive().max(MAX_TIMER_MS).default(3000),
  /** Bound on bring-up and on every "topology whole again" wait (bring-up waits twice this). */
  readyTimeoutMs: z
    .number()
    .int()
    .positive()
    .max(Math.floor(MAX_TIMER_MS / 2))
    .default(30_000),
});

export type RedisSentinelOptions = z.infer<typeof redisSentinelOptions>;

const DATA_NODES = ['redis-1', 'redis-2', 'redis-3'] as const;
const SENTINELS = ['sentinel-1', 'sentinel-2', 'sentinel-3'] as const;
const INITIAL_MASTER = DATA_NODES[0];
const QUORUM = 2;
const STOP_GRACE_MS = 3000;
export const REDIS_IMAGE = 'chaos-harness/redis:latest';

async function allocate(
  ctx: EnvironmentStartContext,
  names: readonly string[],
  viaProxy: boolean,
  inContainers: boolean,
) {
  const out: NodeAddress[] = [];
  for (const name of names) {
    const realPort = await ctx.freePort();
    // In containers the port is the same inside and on the host, and peers use the alias.
    if (inContainers) out.push({ name, realPort, clientPort: realPort, peerHost: name });
    else out.push({ name, realPort, clientPort: viaProxy ? await ctx.freePort() : realPort, peerHost: HOST });
  }
  return out;
}

async function redisVersion(run: (argv: string[]) => Promise<string>): Promise<string | undefined> {
  try {
    return (await run(['redis-server', '--version'])).trim();
  } catch {
    return undefined;
  }
}

const redisSentinel: EnvironmentModule<RedisSentinelOptions> = {
  description:
    'Redis 7 Sentinel: 1 master + 2 replicas + 3 sentinels (quorum 2), optionally through a fault proxy',
  options: redisSentinelOptions,
  providers: ['local', 'containers'],
  services: (o) => [
    ...DATA_NODES.map((name) => ({
      name,
      roles: ['primary', 'replica', 'stale-primary'],
      faultProxy: o.viaProxy,
    })),
    ...SENTINELS.map((name) => ({ name, roles: ['sentinel'], faultProxy: o.viaProxy })),
  ],
  async start(ctx, o): Promise<StartedEnvironment> {
    const t0 = ctx.clock.now();
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(o.readyTimeoutMs * 2)]);
    let rt: ContainerRuntime | undefined;
    if (ctx.provider === 'containers') {
      if (!ctx.containers)
        throw new HarnessError(
          'INTERNAL',
          'the containers provider started redis-sentinel without a runtime',
        );
      rt = ctx.containers;
      await rt.requireImages([REDIS_IMAGE, NETTOOLS_IMAGE]);
    }
    const env = new LocalEnvironment({ name: ctx.name, runDir: ctx.runDir, workDir: ctx.workDir });
    try {
      const data = await allocate(ctx, DATA_NODES, o.viaProxy, rt !== undefined);
      const sentinels = await allocate(ctx, SENTINELS, o.viaProxy, rt !== undefined);
      const topology = new Topology(data, sentinels, (n) => env.services.get(n)?.running() ?? false);
      const master = data[0] as NodeAddress;
      const masterPeer = { host: master.peerHost, port: master.clientPort };
      // Locally the proxy's port is announced; in containers the alias (the port is the real one).
      const announce = (n: NodeAddress) =>
        rt ? { ip: n.name } : o.viaProxy ? { ip: HOST, port: n.clientPort } : undefined;
      const bind = rt ? '0.0.0.0' : HOST;

      if (o.viaProxy && !rt) {
        env.extensions.set(
          FAULT_PROXY,
          await proxyEachNode([...data, ...sentinels], HOST, (close) => env.defer(close)),
        );
      } else if (o.viaProxy) {
        ctx.log(
          'redis-sentinel in containers: no fault proxy between the nodes; network-partition drops packets in the target container (other network faults need the fault proxy)',
        );
      }

      let firstContainer: ManagedContainer | undefined;
      const service = (n: NodeAddress, kind: 'data' | 'sentinel') => {
        const dir = join(ctx.workDir, n.name);
        mkdirSync(dir, { recursive: true });
        const conf = join(dir, kind === 'data' ? 'redis.conf' : 'sentinel.conf');
        const args = kind === 'data' ? [conf] : [conf, '--sentinel'];
        const logFile = join(ctx.runDir, `${n.name}.log`);
        // The node's directory is mounted at the same path, so its config and `dir` mean the same
        // thing in the container, and a config rewritten before a restart is what it starts with.
        const container = rt?.container({
          name: n.name,
          image: REDIS_IMAGE,
          cmd: ['redis-server', ...args],
          ports: [n.realPort],
          binds: [`${dir}:${dir}`],
          workingDir: dir,
          logFile,
        });
        const opts: SupervisedServiceOptions = {
          name: n.name,
          ...(container
            ? { runner: container }
            : {
                process: { name: n.name, command: 'redis-server', args, logFile, runId: ctx.runId, cwd: dir },
              }),
          endpoints: {
            [kind === 'data' ? 'redis' : 'sentinel']: { host: HOST, port: n.clientPort },
            direct: { host: HOST, port: n.realPort },
          },
          files: container
            ? containerDataFiles(n.name, container, { conf })
            : localDataFiles(n.name, { conf }),
          role: kind === 'data' ? (s?: AbortSignal) => topology.dataRole(n.name, s) : 'sentinel',
          ready: { check: { kind: 'tcp', host: HOST, port: n.realPort }, timeoutMs: 10_000, intervalMs: 25 },
          stopGraceMs: STOP_GRACE_MS,
          emit: ctx.emit,
        };
        const extras: RedisServiceExtras = { direct: { host: HOST, port: n.realPort } };
        if (rt && container) {
          firstContainer ??= container;
          const runtime = rt;
          opts.isolate = (s?: AbortSignal) => isolateContainer(runtime, container, s);
        }
        return { opts, extras, dir, conf };
      };

      const nodes = data.map((n) => {
        const { opts, extras, dir, conf } = service(n, 'data');
        writeFileSync(
          conf,
          dataNodeConf({
            port: n.realPort,
            bind,
            dir,
            announce: announce(n),
            replicaOf: n === master ? undefined : masterPeer,
            minReplicasToWrite: o.minReplicasToWrite,
            minReplicasMaxLagSec: o.minReplicasMaxLagSec,
          }),
        );
        return env.add(new RedisDataNode(opts, extras, conf, topology, ctx.emit));
      });
      await Promise.all(nodes.map((n) => n.start(signal)));
      // Sentinels started before every replica is online would only see the late one at their
      // next 10 s INFO poll: bring-up would take 10 s instead of 2.
      await topology.waitHealthy({ signal, timeoutMs: o.readyTimeoutMs, expectedMaster: INITIAL_MASTER });
      const tReplicas = ctx.clock.now();

      const sentinelServices = sentinels.map((n) => {
        const { opts, extras, dir, conf } = service(n, 'sentinel');
        writeFileSync(
          conf,
          sentinelConf({
            port: n.realPort,
            bind,
            dir,
            announce: announce(n),
            hostnames: rt !== undefined,
            master: masterPeer,
            quorum: QUORUM,
            downAfterMs: o.downAfterMs,
            failoverTimeoutMs: o.failoverTimeoutMs,
          }),
        );
        return env.add(new RedisService(opts, extras));
      });
      await Promise.all(sentinelServices.map((s) => s.start(signal)));
      await topology.waitHealthy({ signal, timeoutMs: o.readyTimeoutMs });
      // Registered after the sentinels, so it is closed before they stop.
      const watcher = watchSentinelEvents(
        sentinels.map((n) => ({ host: HOST, port: n.realPort })),
        ctx.emit,
      );
      env.defer(async () => {
        await watcher[Symbol.asyncDispose]();
      });

      const version = await redisVersion(async ([cmd, ...rest]) => {
        if (firstContainer) return (await firstContainer.exec([cmd as string, ...rest])).output;
        return (await promisify(execFile)(cmd as string, rest, { timeout: 5000 })).stdout;
      });
      // Host clients reach "alias:P", which Sentinel hands out in containers, at 127.0.0.1:P.
      const natMap: Record<string, Endpoint> | undefined = rt
        ? Object.fromEntries(
            [...data, ...sentinels].map((n) => [
              `${n.peerHost}:${n.realPort}`,
              { host: HOST, port: n.realPort },
            ]),
          )
        : undefined;

      const bringUpMs = ctx.clock.now() - t0;
      Object.assign(env.info, {
        bringUpMs,
        replicasOnlineMs: tReplicas - t0,
        provider: ctx.provider,
        redisVersion: version,
        versions: await binaryVersions(firstContainer ? inContainer(firstContainer) : onHost, {
          'redis-server': ['redis-server', '--version'],
          'redis-sentinel': ['redis-sentinel', '--version'],
        }),
        viaProxy: o.viaProxy && !rt,
        networkFaults: rt
          ? 'network-partition: iptables in the container (nettools)'
          : o.viaProxy
            ? 'fault proxy'
            : 'none',
        downAfterMs: o.downAfterMs,
        failoverTimeoutMs: o.failoverTimeoutMs,
        minReplicasToWrite: o.minReplicasToWrite ?? 0,
        minReplicasMaxLagSec: o.minReplicasMaxLagSec ?? 10,
        ports: Object.fromEntries(
          [...data, ...sentinels].map((n) => [n.name, { real: n.realPort, client: n.clientPort }]),
        ),
        ...(rt
          ? {
              network: rt.network,
              images: {
                [REDIS_IMAGE]: rt.images[REDIS_IMAGE],
                [NETTOOLS_IMAGE]: rt.images[NETTOOLS_IMAGE],
              },
            }
          : {}),
      });
      const ext: RedisSentinelTopology = {
        masterName: MASTER_NAME,
        sentinels: sentinels.map((n) => ({ host: HOST, port: n.clientPort })),
        ...(natMap ? { natMap } : {}),
        electedMaster: (s) => topology.sentinelMaster(s),
        waitHealthy: async (s, timeoutMs) => {
          await topology.waitHealthy({ signal: s, timeoutMs: timeoutMs ?? o.readyTimeoutMs });
        },
      };
      env.extensions.set(REDIS_SENTINEL, ext);
      env.extensions.set(WAIT_HEALTHY, ext.waitHealthy);
      ctx.emit('environment-ready', `redis-sentinel up in ${Math.round(bringUpMs)} ms`, { bringUpMs });
      return env;
    } catch (err) {
      await env[Symbol.asyncDispose]();
      throw err;
    }
  },
};

export default redisSentinel;
