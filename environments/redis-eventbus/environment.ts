// The event bus of claim 4 on the Redis Sentinel stack: redis-sentinel's 1 master + 2 replicas +
// 3 sentinels (started by its own module, unchanged), plus two Node services of our own:
// `eventbus` (eventbus.mjs: HTTP in, XADD to the stream `events` on whatever Sentinel names
// master, a disk buffer while Redis is unreachable, replayed in order) and `consumer`
// (consumer.mjs: follows the stream with XREAD).
//
// Locally, with viaProxy, the bus reaches every Redis node and sentinel through proxies of its own
// on the stack's fault proxy (`eventbus-redis-1` …, ioredis's natMap turns the addresses the
// sentinels announce into those): `network-partition` of service `eventbus` disables exactly them,
// cutting the bus off from Redis while replication, gossip and the harness's read-back go on. A
// partition of a Redis node disables the bus's proxy to it as well. In containers the bus runs in
// chaos-harness/node on the run's network and `network-partition` drops its packets instead.
import 'disposablestack/auto';
import { mkdirSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { z } from 'zod';
import { HarnessError } from '../../src/core/errors.js';
import type { Endpoint, StartedEnvironment } from '../../src/core/types.js';
import { isolateContainer } from '../../src/providers/containers/partition.js';
import { localDataFiles } from '../../src/providers/local/local-data-files.js';
import { LocalEnvironment } from '../../src/providers/local/local-environment.js';
import type { EnvironmentModule } from '../../src/providers/provider.js';
import { SupervisedService, type SupervisedServiceOptions } from '../../src/providers/supervised-service.js';
import { FAULT_PROXY, staticRouting } from '../../src/proxy/index.js';
import { MAX_TIMER_MS } from '../../src/scenario/duration.js';
import { REDIS_SENTINEL } from '../../src/stacks/redis-sentinel.js';
import redisSentinel, { redisSentinelOptions } from '../redis-sentinel/environment.js';

const HOST = '127.0.0.1';
export const NODE_IMAGE = 'chaos-harness/node:latest';
/** Where the node image keeps package.json, node_modules, src/ and environments/. */
const IMAGE_APP = '/opt/chaos-harness';
/** The harness's own node_modules (a worktree may link them), mounted into the bus's container. */
const HOST_MODULES = realpathSync(resolve(import.meta.dirname, '../../node_modules'));
const ms = z.number().int().positive().max(MAX_TIMER_MS);

export const redisEventbusOptions = redisSentinelOptions.extend({
  /** `disk`: buffer while Redis is unreachable and replay; `off`: the buggy bus (acknowledges and drops). */
  buffer: z.enum(['disk', 'off']).default('disk'),
  /** First reconnect / replay retry delay; it doubles per attempt up to backoffMaxMs. */
  backoffBaseMs: ms.default(100),
  backoffMaxMs: ms.default(2000),
  /** A publish that takes longer is buffered (it may have been applied: replay checks the stream's end). */
  commandTimeoutMs: ms.default(500),
  /** The bus acknowledges a published event only once this many replicas have it (Redis WAIT); 0: on the master's reply. */
  waitReplicas: z.number().int().min(0).max(2).default(1),
  /** Its supervisor restarts the bus this long after it dies. */
  restartDelayMs: z.number().int().min(0).max(MAX_TIMER_MS).default(1000),
});
export type RedisEventbusOptions = z.infer<typeof redisEventbusOptions>;

const SENTINEL_KEYS = Object.keys(redisSentinelOptions.shape) as (keyof typeof redisSentinelOptions.shape)[];
const BUS = 'eventbus';
const CONSUMER = 'consumer';
const STREAM = 'events';

/** Polls the bus's status until it reports a connection to the master. */
async function waitConnected(url: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    signal.throwIfAborted();
    try {
      const r = (await (await fetch(url, { signal: AbortSignal.timeout(1000) })).json()) as {
        connected?: boolean;
        redisStatus?: string;
      };
      if (r.connected) return;
      last = `redis status ${r.redisStatus}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new HarnessError(
    'NOT_READY',
    `eventbus: not connected to the Redis master within ${timeoutMs} ms (${last})`,
  );
}

interface NodePorts {
  real: number;
  client: number;
}

const redisEventbus: EnvironmentModule<RedisEventbusOptions> = {
  description:
    'An event bus of our own (HTTP → Redis Stream, disk buffer, exponential-backoff reconnect, replay) and a stream consumer on redis-sentinel (1 master + 2 replicas + 3 sentinels)',
  options: redisEventbusOptions,
  providers: ['local', 'containers'],
  services: (o) => [
    ...(redisSentinel.services?.(o) ?? []),
    { name: BUS, roles: ['eventbus'], faultProxy: o.viaProxy },
    { name: CONSUMER, roles: ['consumer'] },
  ],
  async start(ctx, o): Promise<StartedEnvironment> {
    const sentinelOpts = Object.fromEntries(SENTINEL_KEYS.map((k) => [k, o[k]])) as z.infer<
      typeof redisSentinelOptions
    >;
    const started = await redisSentinel.start(ctx, sentinelOpts);
    if (!(started instanceof LocalEnvironment)) {
      await started[Symbol.asyncDispose]();
      throw new HarnessError(
        'INTERNAL',
        'redis-sentinel did not return a LocalEnvironment to add the bus to',
      );
    }
    const env = started;
    try {
      const rt = ctx.provider === 'containers' ? ctx.containers : undefined;
      const ports = env.info.ports as Record<string, NodePorts>;
      const nodes = Object.keys(ports);
      const sentinelNames = nodes.filter((n) => n.startsWith('sentinel-'));
      const topo = env.extensions.get(REDIS_SENTINEL);
      if (!topo) throw new HarnessError('INTERNAL', 'redis-sentinel started without its topology extension');

      // How the bus and the consumer reach the sentinels, and what they map announced addresses to.
      let sentinelsArg: string;
      let busNat: Record<string, Endpoint> | undefined;
      const busProxies: string[] = [];
      const routing = env.extensions.get(FAULT_PROXY);
      if (rt) {
        // Inside the network: aliases resolve, ports are the nodes' own.
        sentinelsArg = sentinelNames.map((n) => `${n}:${(ports[n] as NodePorts).real}`).join(',');
      } else if (routing) {
        const api = new Toxiproxy(routing.apiUrl);
        busNat = {};
        const own: Record<string, string[]> = {};
        for (const n of nodes) {
          const p = ports[n] as NodePorts;
          const port = await ctx.freePort();
          const name = `${BUS}-${n}`;
          await api.createProxy({ name, listen: `${HOST}:${port}`, upstream: `${HOST}:${p.real}` });
          busProxies.push(name);
          own[n] = [...routing.proxiesFor(n), name];
          // Sentinels announce the node's proxy port; the bus goes through its own proxy instead.
          busNat[`${HOST}:${p.client}`] = { host: HOST, port };
        }
        own[BUS] = busProxies;
        env.extensions.set(FAULT_PROXY, staticRouting(routing.apiUrl, own));
        sentinelsArg = sentinelNames
          .map(
            (n) =>
              `${HOST}:${(busNat as Record<string, Endpoint>)[`${HOST}:${(ports[n] as NodePorts).client}`]?.port}`,
          )
          .join(',');
      } else {
        sentinelsArg = topo.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
      }
      const consumerSentinels = rt
        ? sentinelsArg
        : topo.sentinels.map((s) => `${s.host}:${s.port}`).join(',');

      const busPort = await ctx.freePort();
      const consumerPort = await ctx.freePort();
      const bufferDir = join(ctx.workDir, BUS);
      mkdirSync(bufferDir, { recursive: true });
      const busArgs = [
        '--port',
        String(busPort),
        '--buffer-dir',
        bufferDir,
        '--buffer',
        o.buffer,
        '--sentinels',
        sentinelsArg,
        '--master-name',
        topo.masterName,
        '--stream',
        STREAM,
        '--backoff-base-ms',
        String(o.backoffBaseMs),
        '--backoff-max-ms',
        String(o.backoffMaxMs),
        '--command-timeout-ms',
        String(o.commandTimeoutMs),
        '--wait-replicas',
        String(o.waitReplicas),
        ...(busNat ? ['--nat-map', JSON.stringify(busNat)] : []),
      ];
      const consumerArgs = [
        '--port',
        String(consumerPort),
        '--sentinels',
        consumerSentinels,
        '--stream',
        STREAM,
      ];

      const nodeService = (
        name: string,
        script: string,
        args: string[],
        port: number,
        extra: Partial<SupervisedServiceOptions>,
        binds: string[] = [],
      ): SupervisedService => {
        const logFile = join(ctx.runDir, `${name}.log`);
        const container = rt?.container({
          name,
          image: NODE_IMAGE,
          cmd: ['node', `${IMAGE_APP}/environments/redis-eventbus/${script}`, ...args],
          workingDir: IMAGE_APP,
          ports: [port],
          // The repository's environments/ over the image's copy (the code this harness runs), and
          // the host's node_modules over the image's (the same Node ABI: the image copies them from
          // there), for ioredis, which the image's selection (containers/node/modules.txt) lacks.
          binds: [
            `${resolve(ctx.dir, '..')}:${IMAGE_APP}/environments:ro`,
            `${HOST_MODULES}:${IMAGE_APP}/node_modules:ro`,
            ...binds,
          ],
          logFile,
        });
        const opts: SupervisedServiceOptions = {
          name,
          ...(container
            ? { runner: container }
            : {
                process: {
                  name,
                  command: process.execPath,
                  args: [join(ctx.dir, script), ...args],
                  logFile,
                  runId: ctx.runId,
                  cwd: ctx.dir,
                },
              }),
          endpoints: { http: { host: HOST, port } },
          ready: {
            check: { kind: 'http', url: `http://${HOST}:${port}/health`, status: 200 },
            timeoutMs: 15_000,
            intervalMs: 50,
          },
          stopGraceMs: 3000,
          emit: ctx.emit,
          ...extra,
        };
        if (rt && container) opts.isolate = (s?: AbortSignal) => isolateContainer(rt, container, s);
        return new SupervisedService(opts);
      };

      const bus = env.add(
        nodeService(
          BUS,
          'eventbus.mjs',
          busArgs,
          busPort,
          {
            role: 'eventbus',
            files: localDataFiles(BUS, { buffer: bufferDir }),
            restart: { policy: 'on-failure', delayMs: o.restartDelayMs },
          },
          [`${bufferDir}:${bufferDir}`],
        ),
      );
      const consumer = env.add(
        nodeService(CONSUMER, 'consumer.mjs', consumerArgs, consumerPort, {
          role: 'consumer',
          restart: { policy: 'on-failure', delayMs: o.restartDelayMs },
        }),
      );
      await Promise.all([bus.start(ctx.signal), consumer.start(ctx.signal)]);
      // Up is not enough: the bus answers while it still connects (it would buffer the first events).
      const tConnect = ctx.clock.now();
      await waitConnected(`http://${HOST}:${busPort}/status`, o.readyTimeoutMs, ctx.signal);
      const connectMs = ctx.clock.now() - tConnect;
      Object.assign(env.info, {
        eventbus: {
          stream: STREAM,
          buffer: o.buffer,
          backoff: `${o.backoffBaseMs} ms doubling to ${o.backoffMaxMs} ms`,
          commandTimeoutMs: o.commandTimeoutMs,
          waitReplicas: o.waitReplicas,
          restartDelayMs: o.restartDelayMs,
          connectedAfterReadyMs: Math.round(connectMs),
          bufferDir,
          redisPath: rt
            ? 'run network (aliases)'
            : busProxies.length
              ? `own fault-proxy proxies: ${busProxies.join(', ')}`
              : 'direct',
        },
      });
      ctx.emit(
        'environment-ready',
        `eventbus on :${busPort}, consumer on :${consumerPort} (buffer ${o.buffer})`,
      );
      return env;
    } catch (err) {
      await env[Symbol.asyncDispose]();
      throw err;
    }
  },
};

export default redisEventbus;
