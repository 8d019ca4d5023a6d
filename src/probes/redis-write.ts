// Open-loop SETs of unique keys, through Sentinel discovery (what an HA client does) or straight
// to one node (a client that never learns about a failover: the split-brain writer).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
import type { Endpoint, Probe, RunContext, RunningProbe, StartedService } from '../core/types.js';
import { positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';
import { unit } from '../scenario/units.js';
import { type RedisSentinelTopology, redisSentinelTopology } from '../stacks/redis-sentinel.js';
import { errorText, OpenLoop } from './open-loop.js';
import { resolveEndpoint } from './running-open-loop.js';

export const redisWriteParams = withMsNames(
  z
    .strictObject({
      client: z
        .enum(['sentinel', 'direct'])
        .default('sentinel')
        .describe(
          'sentinel: ask the sentinels for the master and follow failovers; direct: one node, always',
        ),
      endpoint: z
        .string()
        .default('redis')
        .describe(
          'with client direct: the endpoint of the target service (`direct` bypasses the fault proxy)',
        ),
      valueBytes: unit(
        z.number().int().min(1).max(1_000_000).default(16).describe('size of each value'),
        'bytes',
      ),
      reconnectDelay: positiveDuration
        .default(50)
        .describe('wait before reconnecting after a lost connection'),
      connectTimeout: positiveDuration.default(10_000).describe('bound on the first connection at start'),
    })
    .meta({
      description:
        'Open-loop SETs of unique keys to Redis (redis-sentinel), through the sentinels or straight to one node; after recovery every acknowledged SET is read back from the master, so it measures rpo, lost-writes and lost-writes-after-fault (split brain).',
      examples: [{ name: 'writes', client: 'sentinel', interval: '10ms', timeout: '500ms' }],
    }),
  ['reconnectDelay', 'connectTimeout'],
);

export type RedisWriteParams = z.infer<typeof redisWriteParams>;

const VERIFY_BATCH = 500;
const VERIFY_TIMEOUT_MS = 20_000;

/** A reply from the server (READONLY, NOREPLICAS, ...) means the write was refused: fail. */
function outcomeOf(err: unknown): 'fail' | 'unknown' {
  const e = err as { name?: string; message?: string };
  if (e?.name === 'ReplyError') return 'fail';
  if (e?.message?.startsWith("Stream isn't writeable")) return 'fail';
  // Sent but the connection went away or the reply never came: it may have been applied.
  return 'unknown';
}

async function waitConnected(
  redis: Redis,
  signal: AbortSignal,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (redis.status !== 'ready') {
    signal.throwIfAborted();
    if (performance.now() > deadline) {
      throw new HarnessError('NOT_READY', `redis-write: ${what} not connected after ${timeoutMs}ms`);
    }
    await sleep(20, undefined, { signal });
  }
}

async function masterEndpoint(ctx: RunContext, fallback: Endpoint, signal: AbortSignal): Promise<Endpoint> {
  if (!redisSentinelTopology(ctx.env)) return fallback;
  const svc: StartedService = await ctx.env.resolve({ role: 'primary' }, signal);
  const ep = svc.endpoints.direct ?? svc.endpoints.redis;
  if (!ep) throw new HarnessError('VERIFY_FAILED', `redis-write: service ${svc.name} has no redis endpoint`);
  return ep;
}

/** Every key read back from the current master (retried until it answers as master, bounded). */
async function readBack(ctx: RunContext, keys: string[], fallback: Endpoint, signal: AbortSignal) {
  const s = AbortSignal.any([signal, AbortSignal.timeout(VERIFY_TIMEOUT_MS)]);
  let lastErr: unknown;
  while (!s.aborted) {
    let client: Redis | undefined;
    try {
      const ep = await masterEndpoint(ctx, fallback, s);
      client = new Redis({ ...ep, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => {});
      client.options.commandTimeout = 5000;
      await client.connect();
      const role = (await client.role()) as unknown[];
      if (role[0] !== 'master') throw new Error(`${ep.host}:${ep.port} is ${String(role[0])}, not master`);
      const present = new Set<string>();
      for (let i = 0; i < keys.length; i += VERIFY_BATCH) {
        const batch = keys.slice(i, i + VERIFY_BATCH);
        const values = await client.mget(...batch);
        for (const [j, k] of batch.entries()) if (values[j] !== null) present.add(k);
      }
      return { present, checked: keys.length };
    } catch (err) {
      lastErr = err;
      await sleep(200, undefined, { signal: s }).catch(() => {});
    } finally {
      client?.disconnect();
    }
  }
  throw new HarnessError(
    'VERIFY_FAILED',
    `redis-write: could not read keys back within ${VERIFY_TIMEOUT_MS}ms`,
    {
      cause: lastErr,
    },
  );
}

function lastErrors(log: readonly { event: string; detail?: string }[]): string {
  const errs = log.filter((e) => e.event === 'error').slice(-3);
  return errs.length ? errs.map((e) => e.detail).join(' | ') : 'none';
}

/**
 * One subscriber per sentinel on +switch-master for our master: on a failover, reconnect the
 * writer so it asks the sentinels for the new master (a client still connected to an old master
 * that nobody demoted yet would otherwise keep writing to it).
 */
/** The same switch announced again within this long is the same failover. */
const SWITCH_DEDUP_MS = 30_000;

function followFailovers(
  ext: RedisSentinelTopology,
  retryMs: number,
  reconnect: (why: string) => void,
): Redis[] {
  // Every sentinel announces the same switch, often a second apart: reconnecting on each would
  // cut the writer off the new master again and add that second to the measured RTO.
  const handled = new Map<string, number>();
  return ext.sentinels.map((ep) => {
    const sub = new Redis({
      ...ep,
      lazyConnect: true,
      maxRetriesPerRequest: null,
      retryStrategy: () => retryMs,
    });
    sub.on('error', () => {});
    sub.on('message', (channel: string, message: string) => {
      if (channel !== '+switch-master' || message.split(' ')[0] !== ext.masterName) return;
      const now = performance.now();
      const seen = handled.get(message);
      if (seen !== undefined && now - seen < SWITCH_DEDUP_MS) return;
      handled.set(message, now);
      reconnect(`+switch-master from sentinel ${ep.host}:${ep.port}: ${message}`);
    });
    // Queued until connected; ioredis subscribes again after every reconnect.
    sub.subscribe('+switch-master').catch(() => {});
    return sub;
  });
}

export const redisWrite: Probe<RedisWriteParams> = {
  params: redisWriteParams,
  readsWritesBack: true,
  async start(ctx, p, common): Promise<RunningProbe> {
    const ext = redisSentinelTopology(ctx.env);
    const base: RedisOptions = {
      lazyConnect: true,
      connectTimeout: Math.min(common.timeoutMs, 1000),
      commandTimeout: common.timeoutMs,
      // Open loop: a command while disconnected must fail now, not queue and distort latency.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => p.reconnectDelayMs,
    };
    let redis: Redis;
    let where: string;
    let fallback: Endpoint;
    if (p.client === 'sentinel') {
      if (!ext) {
        throw new HarnessError(
          'INVALID_INPUT',
          `redis-write: environment "${ctx.env.name}" offers no Redis Sentinel topology; use client: direct`,
        );
      }
      redis = new Redis({
        ...base,
        sentinels: ext.sentinels,
        // ioredis 5.9.2 applies it to the master, the replicas and the sentinels it discovers.
        ...(ext.natMap ? { natMap: { ...ext.natMap } } : {}),
        name: ext.masterName,
        role: 'master',
        // ioredis's own failover detector calls its connector's disconnect() on +switch-master
        // even while a reconnect is resolving the master: the connect then rejects with
        // "Connection is closed." and the client ends for good (ioredis 5.9.2). followFailovers()
        // below does the same job, but only reconnects a client that is connected.
        failoverDetector: false,
        sentinelRetryStrategy: () => p.reconnectDelayMs,
        sentinelCommandTimeout: 500,
        // A node demoted under us answers READONLY: reconnect so the sentinels are asked again.
        reconnectOnError: (err) => {
          if (err.message.startsWith('READONLY')) reconnect('READONLY reply');
          return false;
        },
      });
      where = `sentinels ${ext.sentinels.map((e) => `${e.host}:${e.port}`).join(',')} (${ext.masterName})`;
      fallback = ext.sentinels[0] as Endpoint;
    } else {
      const { service: svc, endpoint: ep } = await resolveEndpoint(
        ctx,
        common.target,
        p.endpoint,
        ctx.signal,
      );
      redis = new Redis({ ...base, host: ep.host, port: ep.port });
      where = `${svc.name} ${p.endpoint} ${ep.host}:${ep.port}`;
      fallback = ep;
    }
    let connectionErrors = 0;
    let roleMismatches = 0;
    let stopped = false;
    let failure: string | undefined;
    // The client's own account of its connection (last 30 changes), for reports and diagnosis:
    // a failover's RTO is often the client's reconnect schedule, not the server's.
    const connectionLog: { tMs: number; event: string; detail?: string }[] = [];
    const note = (event: string, detail?: string) => {
      connectionLog.push({ tMs: Math.round(ctx.clock.now()), event, ...(detail ? { detail } : {}) });
      if (connectionLog.length > 30) connectionLog.shift();
    };
    redis.on('error', (err: Error) => {
      connectionErrors++;
      note('error', err.message);
    });
    for (const event of ['connect', 'ready', 'close'] as const) redis.on(event, () => note(event));
    redis.on('reconnecting', (delay: number) => note('reconnecting', `in ${delay} ms`));
    redis.on('end', () => {
      note('end');
      // The retry strategy never gives up, so an end we did not ask for is the instrument breaking.
      if (!stopped)
        failure ??= `its Redis client (${where}) ended and will not reconnect; last errors: ${lastErrors(connectionLog)}`;
    });
    // Reconnect (and so ask the sentinels again) only from a connected state: asking ioredis to
    // disconnect while it is connecting makes that connect reject, and the client ends for good.
    const reconnect = (why: string) => {
      if (p.client !== 'sentinel' || redis.status !== 'ready') return;
      note('reconnect', why);
      redis.disconnect(true);
    };
    const followers =
      p.client === 'sentinel' && ext ? followFailovers(ext, p.reconnectDelayMs, reconnect) : [];
    redis.connect().catch(() => {});
    const closeAll = () => {
      redis.disconnect();
      for (const f of followers) f.disconnect();
    };
    try {
      await waitConnected(redis, ctx.signal, p.connectTimeoutMs, where);
    } catch (err) {
      stopped = true;
      closeAll();
      throw err;
    }

    const tag = `${common.name}:${randomBytes(4).toString('hex')}`;
    const value = 'x'.repeat(p.valueBytes);
    const keyFor = (id: number) => `chaos:${tag}:${id}`;
    const loop = new OpenLoop({
      intervalMs: common.intervalMs,
      timeoutMs: common.timeoutMs,
      clock: ctx.clock,
      keyFor,
      op: async (_signal, id) => {
        const key = keyFor(id);
        // Pipelined on one connection: ROLE is answered by the node that takes the SET.
        const rolePromise = redis.role();
        const setPromise = redis.set(key, value);
        const [roleResult, setResult] = await Promise.allSettled([rolePromise, setPromise]);
        if (setResult.status === 'rejected') {
          const outcome = outcomeOf(setResult.reason);
          if (outcome === 'fail') throw setResult.reason;
          return { outcome, key };
        }
        const role = roleResult.status === 'fulfilled' ? String(roleResult.value[0]) : 'unknown';
        if (role !== 'master') {
          roleMismatches++;
          reconnect(`SET answered by a ${role}`);
          throw new Error(`SET acknowledged by a node whose ROLE is ${role}`);
        }
        if (setResult.value !== 'OK') throw new Error(`SET answered ${String(setResult.value)}`);
        return { key };
      },
      describeError: errorText,
    });
    loop.start();
    ctx.log(`redis-write ${common.name}: writing every ${common.intervalMs}ms via ${where}`);

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        await loop.stop();
        stopped = true;
        closeAll();
      })();
      return stopping;
    };
    return {
      name: common.name,
      kind: 'redis-write',
      intervalMs: common.intervalMs,
      timeoutMs: common.timeoutMs,
      ops: () => loop.ops,
      stop,
      async verify(signal) {
        const keys = loop.ops.flatMap((o) => (o.key !== undefined && o.outcome !== 'fail' ? [o.key] : []));
        return readBack(ctx, keys, fallback, signal);
      },
      summary: () => ({
        client: p.client,
        via: where,
        connectionErrors,
        roleMismatches,
        connectionLog: [...connectionLog],
      }),
      failure: () => failure,
      [Symbol.asyncDispose]: stop,
    };
  },
};
