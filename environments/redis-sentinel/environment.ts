// Redis 7 with Sentinel: 1 master + 2 replicas + 3 sentinels (quorum 2) as local processes.
// With viaProxy every node is reached only through its own proxy on the fault proxy: nodes
// announce the proxy's port, so clients, replicas and sentinels all cross it and cutting one
// node's proxy is a complete network fault for that node.
import 'disposablestack/auto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { z } from 'zod';
import type { EnvironmentModule, EnvironmentStartContext, StartedEnvironment } from '../../src/core/types.js';
import type { RedisSentinelExtension } from '../../src/probes/redis-write.js';
import { LocalEnvironment } from '../../src/providers/local/local-environment.js';
import { LocalService, type LocalServiceOptions } from '../../src/providers/local/local-service.js';
import { FAULT_PROXY_EXTENSION, startFaultProxy, staticRouting } from '../../src/proxy/index.js';
import { MAX_TIMER_MS } from '../../src/scenario/duration.js';
import { dataNodeConf, HOST, MASTER_NAME, sentinelConf, withReplicaOf } from './redis-config.js';
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

/**
 * A data node whose (re)start is made safe: when the sentinels have elected another master,
 * its config is pointed at that master first, so a restarted old master rejoins as a replica
 * instead of coming back as an empty master that others could resync from.
 */
class RedisDataNode extends LocalService {
  readonly #conf: string;
  readonly #topology: Topology;
  readonly #emit: EnvironmentStartContext['emit'];

  constructor(
    opts: LocalServiceOptions,
    conf: string,
    topology: Topology,
    emit: EnvironmentStartContext['emit'],
  ) {
    super(opts);
    this.#conf = conf;
    this.#topology = topology;
    this.#emit = emit;
  }

  override async start(signal?: AbortSignal): Promise<void> {
    if (!this.running()) {
      const elected = await this.#topology.sentinelMaster(signal);
      const master = this.#topology.dataNodes.find((n) => n.name === elected);
      if (master && master.name !== this.name) {
        writeFileSync(this.#conf, withReplicaOf(readFileSync(this.#conf, 'utf8'), master.clientPort));
      } else if (master) {
        this.#emit(
          'redis-empty-master',
          `${this.name} restarts as the elected master with no data (no persistence)`,
          {
            service: this.name,
          },
        );
      }
    }
    await super.start(signal);
  }
}

async function allocate(ctx: EnvironmentStartContext, names: readonly string[], viaProxy: boolean) {
  const out: NodeAddress[] = [];
  for (const name of names) {
    const realPort = await ctx.freePort();
    out.push({ name, realPort, clientPort: viaProxy ? await ctx.freePort() : realPort });
  }
  return out;
}

const redisSentinel: EnvironmentModule<RedisSentinelOptions> = {
  description:
    'Redis 7 Sentinel: 1 master + 2 replicas + 3 sentinels (quorum 2), optionally through a fault proxy',
  options: redisSentinelOptions,
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
    const env = new LocalEnvironment({ name: ctx.name, runDir: ctx.runDir, workDir: ctx.workDir });
    try {
      const data = await allocate(ctx, DATA_NODES, o.viaProxy);
      const sentinels = await allocate(ctx, SENTINELS, o.viaProxy);
      const topology = new Topology(data, sentinels, (n) => env.services.get(n)?.running() ?? false);
      const master = data[0] as NodeAddress;

      if (o.viaProxy) {
        const proxy = await startFaultProxy({ apiPort: 0 });
        env.defer(() => proxy.close());
        const api = new Toxiproxy(proxy.apiUrl);
        const routes: Record<string, string[]> = {};
        for (const n of [...data, ...sentinels]) {
          await api.createProxy({
            name: n.name,
            listen: `${HOST}:${n.clientPort}`,
            upstream: `${HOST}:${n.realPort}`,
          });
          routes[n.name] = [n.name];
        }
        env.extensions[FAULT_PROXY_EXTENSION] = staticRouting(proxy.apiUrl, routes);
      }

      const service = (n: NodeAddress, kind: 'data' | 'sentinel') => {
        const dir = join(ctx.workDir, n.name);
        mkdirSync(dir, { recursive: true });
        const conf = join(dir, kind === 'data' ? 'redis.conf' : 'sentinel.conf');
        const opts: LocalServiceOptions = {
          name: n.name,
          process: {
            name: n.name,
            command: 'redis-server',
            args: kind === 'data' ? [conf] : [conf, '--sentinel'],
            logFile: join(ctx.runDir, `${n.name}.log`),
            runId: ctx.runId,
            cwd: dir,
          },
          endpoints: {
            [kind === 'data' ? 'redis' : 'sentinel']: { host: HOST, port: n.clientPort },
            direct: { host: HOST, port: n.realPort },
          },
          dataPaths: { dir, conf },
          role: kind === 'data' ? (s?: AbortSignal) => topology.dataRole(n.name, s) : 'sentinel',
          ready: { check: { kind: 'tcp', host: HOST, port: n.realPort }, timeoutMs: 10_000, intervalMs: 25 },
          stopGraceMs: STOP_GRACE_MS,
          emit: ctx.emit,
        };
        return { opts, dir, conf };
      };

      const nodes = data.map((n) => {
        const { opts, dir, conf } = service(n, 'data');
        writeFileSync(
          conf,
          dataNodeConf({
            port: n.realPort,
            dir,
            announcePort: o.viaProxy ? n.clientPort : undefined,
            replicaOfPort: n === master ? undefined : master.clientPort,
            minReplicasToWrite: o.minReplicasToWrite,
            minReplicasMaxLagSec: o.minReplicasMaxLagSec,
          }),
        );
        return env.add(new RedisDataNode(opts, conf, topology, ctx.emit));
      });
      await Promise.all(nodes.map((n) => n.start(signal)));
      // Sentinels started before every replica is online would only see the late one at their
      // next 10 s INFO poll: bring-up would take 10 s instead of 2.
      await topology.waitHealthy({ signal, timeoutMs: o.readyTimeoutMs, expectedMaster: INITIAL_MASTER });
      const tReplicas = ctx.clock.now();

      const sentinelServices = sentinels.map((n) => {
        const { opts, dir, conf } = service(n, 'sentinel');
        writeFileSync(
          conf,
          sentinelConf({
            port: n.realPort,
            dir,
            announcePort: o.viaProxy ? n.clientPort : undefined,
            masterPort: master.clientPort,
            quorum: QUORUM,
            downAfterMs: o.downAfterMs,
            failoverTimeoutMs: o.failoverTimeoutMs,
          }),
        );
        return env.add(new LocalService(opts));
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

      const bringUpMs = ctx.clock.now() - t0;
      Object.assign(env.info, {
        bringUpMs,
        replicasOnlineMs: tReplicas - t0,
        viaProxy: o.viaProxy,
        downAfterMs: o.downAfterMs,
        failoverTimeoutMs: o.failoverTimeoutMs,
        minReplicasToWrite: o.minReplicasToWrite ?? 0,
        minReplicasMaxLagSec: o.minReplicasMaxLagSec ?? 10,
        ports: Object.fromEntries(
          [...data, ...sentinels].map((n) => [n.name, { real: n.realPort, client: n.clientPort }]),
        ),
      });
      const ext: RedisSentinelExtension = {
        masterName: MASTER_NAME,
        sentinels: sentinels.map((n) => ({ host: HOST, port: n.clientPort })),
        electedMaster: (s) => topology.sentinelMaster(s),
        waitHealthy: async (s, timeoutMs) => {
          await topology.waitHealthy({ signal: s, timeoutMs: timeoutMs ?? o.readyTimeoutMs });
        },
      };
      env.extensions.redisSentinel = ext;
      // Generic hook: a runner may call this after a fault is disposed, before the next iteration.
      env.extensions.waitHealthy = ext.waitHealthy;
      ctx.emit('environment-ready', `redis-sentinel up in ${Math.round(bringUpMs)} ms`, { bringUpMs });
      return env;
    } catch (err) {
      await env[Symbol.asyncDispose]();
      throw err;
    }
  },
};

export default redisSentinel;
