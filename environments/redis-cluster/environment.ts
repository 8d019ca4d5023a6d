// Redis 7 Cluster: 3 masters + 3 replicas (`redis-cli --cluster create … --cluster-replicas 1`), as
// local processes or as containers on the run's network.
// Local, with viaProxy (default) every node's client port is a proxy on the fault proxy and the node
// announces it (cluster-announce-port), so CLUSTER SLOTS and MOVED send clients, and replicas, which
// replicate from the announced address, through it; the cluster bus (gossip, failure detection,
// failover votes) stays direct (cluster-announce-bus-port is the real bus port).
// In containers every node listens on its own port P (bus port B) inside and is published on
// 127.0.0.1:P; nodes announce their network alias as hostname, and host clients reach "alias:P" at
// 127.0.0.1:P (the extension's natMap). No fault proxy there.
import 'disposablestack/auto';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { HarnessError } from '../../src/core/errors.js';
import { WAIT_HEALTHY } from '../../src/core/extensions.js';
import type { Endpoint, StartedEnvironment, StartedService, TargetSelector } from '../../src/core/types.js';
import { binaryVersions, inContainer, onHost } from '../../src/providers/binary-versions.js';
import { containerDataFiles } from '../../src/providers/containers/container-data-files.js';
import type { ManagedContainer } from '../../src/providers/containers/managed-container.js';
import type { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import { localDataFiles } from '../../src/providers/local/local-data-files.js';
import { LocalEnvironment } from '../../src/providers/local/local-environment.js';
import type { EnvironmentModule } from '../../src/providers/provider.js';
import type { SupervisedServiceOptions } from '../../src/providers/supervised-service.js';
import { FAULT_PROXY } from '../../src/proxy/index.js';
import { proxyEachNode } from '../../src/proxy/node-proxies.js';
import { MAX_TIMER_MS } from '../../src/scenario/duration.js';
import { REDIS_CLUSTER, type RedisClusterTopology } from '../../src/stacks/redis-cluster.js';
import { REDIS_IMAGE } from '../redis-sentinel/environment.js';
import { redisCall } from '../redis-sentinel/redis-control.js';
import { clusterNodeConf, HOST } from './cluster-config.js';
import { ClusterNode } from './cluster-node.js';
import { type ClusterNodeAddress, ClusterView, createdRanges } from './cluster-view.js';

export const redisClusterOptions = z.strictObject({
  /** Locally: route every node's client port through its own fault-proxy proxy. */
  viaProxy: z.boolean().default(true),
  /** cluster-node-timeout: how long a node is unreachable before it counts as failing (Redis's default 15000). */
  nodeTimeoutMs: z.number().int().min(100).max(MAX_TIMER_MS).default(1000),
  /**
   * cluster-require-full-coverage (Redis's default yes): while a slot range has no master, every
   * node refuses queries, not only for that range.
   */
  requireFullCoverage: z.boolean().default(true),
  /** Bound on bring-up and on every "cluster whole again" wait (bring-up waits twice this). */
  readyTimeoutMs: z
    .number()
    .int()
    .positive()
    .max(Math.floor(MAX_TIMER_MS / 2))
    .default(30_000),
});

export type RedisClusterOptions = z.infer<typeof redisClusterOptions>;

const NODES = ['redis-1', 'redis-2', 'redis-3', 'redis-4', 'redis-5', 'redis-6'] as const;
const MASTERS = 3;
const STOP_GRACE_MS = 3000;
const RANGES = createdRanges(MASTERS);
/** Roles a target can name: `master` / `replica` are those of the first range (slots 0-5460). */
const ROLE = /^(master|replica)(?:-([1-9]))?$/;
const ROLES = ['master', 'replica', ...RANGES.flatMap((_, i) => [`master-${i + 1}`, `replica-${i + 1}`])];

/**
 * Roles resolve to a slot range at the moment they are asked: `master` (or `master-1`) is whichever
 * node serves slots 0-5460 now, `master-2` / `master-3` the masters of the other two ranges, and
 * `replica[-N]` a running replica of that master. A node's own role() is what it says it is.
 */
class ClusterEnvironment extends LocalEnvironment {
  view: ClusterView | undefined;

  override async resolve(target: TargetSelector, signal?: AbortSignal): Promise<StartedService> {
    const m = target.service === undefined && target.role !== undefined ? ROLE.exec(target.role) : null;
    const view = this.view;
    if (!m || !view) return super.resolve(target, signal);
    const range = view.ranges[(m[2] ? Number(m[2]) : 1) - 1];
    if (!range) {
      throw new HarnessError(
        'NO_SUCH_ROLE',
        `redis-cluster has ${view.ranges.length} slot ranges; no role "${target.role}"`,
      );
    }
    const master = await view.masterOf(range.from, signal);
    const name = master && (m[1] === 'master' ? master : await view.replicaOf(master, signal));
    const svc = name ? this.services.get(name) : undefined;
    if (!svc) {
      throw new HarnessError(
        'NO_SUCH_ROLE',
        `no node of "${this.name}" is ${m[1]} of ${range.name} now (master by the running nodes: ${master ?? 'none agreed'})`,
      );
    }
    return svc;
  }
}

async function redisCliCreate(
  addresses: string[],
  run: (argv: string[]) => Promise<string>,
): Promise<string> {
  return run(['redis-cli', '--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes']);
}

const redisCluster: EnvironmentModule<RedisClusterOptions> = {
  description:
    'Redis 7 Cluster: 3 masters + 3 replicas (cluster-node-timeout 1 s by default), clients optionally through a fault proxy',
  options: redisClusterOptions,
  providers: ['local', 'containers'],
  services: (o) => NODES.map((name) => ({ name, roles: ROLES, faultProxy: o.viaProxy })),
  async start(ctx, o): Promise<StartedEnvironment> {
    const t0 = ctx.clock.now();
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(o.readyTimeoutMs * 2)]);
    let rt: ContainerRuntime | undefined;
    if (ctx.provider === 'containers') {
      if (!ctx.containers)
        throw new HarnessError('INTERNAL', 'the containers provider started redis-cluster without a runtime');
      rt = ctx.containers;
      await rt.requireImages([REDIS_IMAGE]);
    }
    const env = new ClusterEnvironment({ name: ctx.name, runDir: ctx.runDir, workDir: ctx.workDir });
    const proxied = o.viaProxy && !rt;
    try {
      const nodes: ClusterNodeAddress[] = [];
      for (const name of NODES) {
        const realPort = await ctx.freePort();
        const busPort = await ctx.freePort();
        const clientPort = proxied ? await ctx.freePort() : realPort;
        nodes.push({ name, realPort, clientPort, busPort, peerHost: rt ? name : HOST });
      }
      const view = new ClusterView(nodes, RANGES, (n) => env.services.get(n)?.running() ?? false);
      env.view = view;

      if (proxied) {
        env.extensions.set(FAULT_PROXY, await proxyEachNode(nodes, HOST, (close) => env.defer(close)));
      } else if (o.viaProxy) {
        ctx.log(
          'redis-cluster in containers: no fault proxy in front of the nodes (network faults need one)',
        );
      }

      let firstContainer: ManagedContainer | undefined;
      const services = nodes.map((n) => {
        const dir = join(ctx.workDir, n.name);
        mkdirSync(dir, { recursive: true });
        const conf = join(dir, 'redis.conf');
        writeFileSync(
          conf,
          clusterNodeConf({
            port: n.realPort,
            bind: rt ? '0.0.0.0' : HOST,
            dir,
            busPort: n.busPort,
            nodeTimeoutMs: o.nodeTimeoutMs,
            requireFullCoverage: o.requireFullCoverage,
            announce: rt ? { hostname: n.name } : { ip: HOST, ...(proxied ? { port: n.clientPort } : {}) },
          }),
        );
        const logFile = join(ctx.runDir, `${n.name}.log`);
        // The node's directory is mounted at the same path, so nodes.conf survives a container restart.
        const container = rt?.container({
          name: n.name,
          image: REDIS_IMAGE,
          cmd: ['redis-server', conf],
          ports: [n.realPort],
          binds: [`${dir}:${dir}`],
          workingDir: dir,
          logFile,
        });
        if (container) firstContainer ??= container;
        const opts: SupervisedServiceOptions = {
          name: n.name,
          ...(container
            ? { runner: container }
            : {
                process: {
                  name: n.name,
                  command: 'redis-server',
                  args: [conf],
                  logFile,
                  runId: ctx.runId,
                  cwd: dir,
                },
              }),
          endpoints: { redis: { host: HOST, port: n.clientPort }, direct: { host: HOST, port: n.realPort } },
          files: container
            ? containerDataFiles(n.name, container, { conf })
            : localDataFiles(n.name, { conf }),
          role: (s?: AbortSignal) => view.role(n.name, s),
          ready: { check: { kind: 'tcp', host: HOST, port: n.realPort }, timeoutMs: 10_000, intervalMs: 25 },
          stopGraceMs: STOP_GRACE_MS,
          emit: ctx.emit,
        };
        return env.add(
          new ClusterNode(
            opts,
            { direct: { host: HOST, port: n.realPort } },
            view,
            ctx.emit,
            o.readyTimeoutMs,
          ),
        );
      });
      await Promise.all(services.map((s) => s.start(signal)));

      const run = async ([cmd, ...rest]: string[]): Promise<string> => {
        if (firstContainer) {
          const r = await firstContainer.exec([cmd as string, ...rest]);
          if (r.exitCode !== 0) throw new Error(`${cmd} exited ${r.exitCode}: ${r.output.slice(-2000)}`);
          return r.output;
        }
        return (await promisify(execFile)(cmd as string, rest, { timeout: 20_000, signal })).stdout;
      };
      const tCreate = ctx.clock.now();
      // redis-cli --cluster create needs IP addresses; in containers those of the aliases on the network.
      const addresses = rt
        ? await Promise.all(
            nodes.map(
              async (n) => `${(await run(['getent', 'hosts', n.name])).trim().split(/\s+/)[0]}:${n.realPort}`,
            ),
          )
        : nodes.map((n) => `${HOST}:${n.realPort}`);
      let createOutput: string;
      try {
        createOutput = await redisCliCreate(addresses, run);
      } catch (cause) {
        throw new HarnessError(
          'NOT_READY',
          `redis-cluster: redis-cli --cluster create failed: ${String(cause)}`,
          { cause },
        );
      }
      writeFileSync(join(ctx.runDir, 'cluster-create.log'), createOutput);
      for (const n of nodes) {
        const id = await redisCall(view.direct(n.name), ['CLUSTER', 'MYID'], { signal });
        view.ids.set(n.name, String(id));
      }
      await view.waitHealthy({ signal, timeoutMs: o.readyTimeoutMs });
      const tHealthy = ctx.clock.now();

      const layout: Record<string, { master: string | undefined; replica: string | undefined }> = {};
      for (const r of RANGES) {
        const master = await view.masterOf(r.from, signal);
        layout[r.name] = { master, replica: master ? await view.replicaOf(master, signal) : undefined };
      }
      // Host clients reach "alias:P", which the nodes announce in containers, at 127.0.0.1:P.
      const natMap: Record<string, Endpoint> | undefined = rt
        ? Object.fromEntries(
            nodes.map((n) => [`${n.peerHost}:${n.realPort}`, { host: HOST, port: n.realPort }]),
          )
        : undefined;
      const bringUpMs = ctx.clock.now() - t0;
      Object.assign(env.info, {
        bringUpMs,
        createMs: tHealthy - tCreate,
        provider: ctx.provider,
        versions: await binaryVersions(firstContainer ? inContainer(firstContainer) : onHost, {
          'redis-server': ['redis-server', '--version'],
          'redis-cli': ['redis-cli', '--version'],
        }),
        topology: '3 masters + 3 replicas (redis-cli --cluster create --cluster-replicas 1)',
        slotRanges: layout,
        nodeTimeoutMs: o.nodeTimeoutMs,
        requireFullCoverage: o.requireFullCoverage,
        viaProxy: proxied,
        throughProxy: proxied
          ? 'client connections and replication (announced port); not the cluster bus'
          : 'nothing',
        ports: Object.fromEntries(
          nodes.map((n) => [n.name, { real: n.realPort, client: n.clientPort, bus: n.busPort }]),
        ),
        ...(rt ? { network: rt.network, images: { [REDIS_IMAGE]: rt.images[REDIS_IMAGE] } } : {}),
      });
      const ext: RedisClusterTopology = {
        // Reachable from the host as they are; the addresses the nodes hand out then go through natMap.
        seeds: nodes.map((n) => ({ host: HOST, port: n.clientPort })),
        ...(natMap ? { natMap } : {}),
        ranges: RANGES,
        masterOf: (slot, s) => view.masterOf(slot, s),
        waitHealthy: (s, timeoutMs) =>
          view.waitHealthy({ signal: s, timeoutMs: timeoutMs ?? o.readyTimeoutMs }),
      };
      env.extensions.set(REDIS_CLUSTER, ext);
      env.extensions.set(WAIT_HEALTHY, ext.waitHealthy);
      ctx.emit('environment-ready', `redis-cluster up in ${Math.round(bringUpMs)} ms`, { bringUpMs });
      return env;
    } catch (err) {
      await env[Symbol.asyncDispose]();
      throw err;
    }
  },
};

export default redisCluster;
