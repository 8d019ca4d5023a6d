// Open-loop SETs spread evenly over the slot ranges of a Redis Cluster, through a cluster-aware client
// (ioredis Cluster: it follows MOVED and refreshes its slot map after a failover). Each operation is
// tagged with the range its key falls in, so the report gives RTO and lost writes per slot range;
// after recovery every acknowledged SET is read back from the masters.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, type ClusterOptions } from 'ioredis';
import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
import type { Probe, RunContext, RunningProbe } from '../core/types.js';
import { positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';
import { unit } from '../scenario/units.js';
import { type RedisClusterTopology, redisClusterTopology, type SlotRange } from '../stacks/redis-cluster.js';
import { keySlot } from './key-slot.js';
import { errorText, OpenLoop } from './open-loop.js';

export const redisClusterWriteParams = withMsNames(
  z
    .strictObject({
      valueBytes: unit(
        z.number().int().min(1).max(1_000_000).default(16).describe('size of each value'),
        'bytes',
      ),
      slotsPerRange: z
        .number()
        .int()
        .min(1)
        .max(256)
        .default(8)
        .describe('distinct slots written in each slot range (keys cycle over them, by hash tag)'),
      retryDelay: positiveDuration
        .default(50)
        .describe(
          "the client's wait before retrying a command after a failover or CLUSTERDOWN, and before reconnecting",
        ),
      connectTimeout: positiveDuration.default(10_000).describe('bound on the first connection at start'),
    })
    .meta({
      description:
        "Open-loop SETs of unique keys to a Redis Cluster (redis-cluster), round-robin over its slot ranges, through ioredis's Cluster client. Each write is tagged with its slot range, so the report gives RTO and lost writes per range (the probe's RTO is the worst range's); after recovery every acknowledged SET is read back from the masters, so it measures rpo, lost-writes and lost-writes-after-fault.",
      examples: [{ name: 'writes', interval: '10ms', timeout: '500ms' }],
    }),
  ['retryDelay', 'connectTimeout'],
);

export type RedisClusterWriteParams = z.infer<typeof redisClusterWriteParams>;

const VERIFY_BATCH = 500;
const VERIFY_TIMEOUT_MS = 20_000;

/** `count` hash tags whose slots are distinct and inside the range. */
export function tagsInRange(range: SlotRange, count: number, prefix: string): string[] {
  const tags: string[] = [];
  const slots = new Set<number>();
  for (let n = 0; tags.length < count && n < 1_000_000; n++) {
    const tag = `${prefix}-${n}`;
    const slot = keySlot(tag);
    if (slot < range.from || slot > range.to || slots.has(slot)) continue;
    slots.add(slot);
    tags.push(tag);
  }
  return tags;
}

function clusterOptions(
  ext: RedisClusterTopology,
  p: RedisClusterWriteParams,
  timeoutMs: number,
): ClusterOptions {
  return {
    lazyConnect: true,
    // Open loop: a command while the client is not ready fails now, instead of queueing.
    enableOfflineQueue: false,
    scaleReads: 'master',
    retryDelayOnFailover: p.retryDelayMs,
    retryDelayOnClusterDown: p.retryDelayMs,
    retryDelayOnTryAgain: p.retryDelayMs,
    clusterRetryStrategy: () => p.retryDelayMs,
    slotsRefreshTimeout: 1000,
    ...(ext.natMap ? { natMap: { ...ext.natMap } } : {}),
    redisOptions: {
      connectTimeout: Math.min(timeoutMs, 1000),
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
    },
  };
}

async function waitReady(
  cluster: Cluster,
  signal: AbortSignal,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (cluster.status !== 'ready') {
    signal.throwIfAborted();
    if (performance.now() > deadline) {
      throw new HarnessError('NOT_READY', `redis-cluster-write: ${what} not ready after ${timeoutMs}ms`);
    }
    await sleep(20, undefined, { signal });
  }
}

/** Who serves each range now, by name: "slots 0-5460" → "redis-4". */
async function mastersNow(ext: RedisClusterTopology, signal: AbortSignal): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const r of ext.ranges)
    out[r.name] = (await ext.masterOf(r.from, signal).catch(() => undefined)) ?? 'none agreed';
  return out;
}

/** Every key read back from the masters, a batch of one hash tag (one slot) at a time; retried, bounded. */
async function readBack(
  ext: RedisClusterTopology,
  keysByTag: Map<string, string[]>,
  p: RedisClusterWriteParams,
  signal: AbortSignal,
) {
  const s = AbortSignal.any([signal, AbortSignal.timeout(VERIFY_TIMEOUT_MS)]);
  let lastErr: unknown;
  let checked = 0;
  for (const keys of keysByTag.values()) checked += keys.length;
  while (!s.aborted) {
    const cluster = new Cluster(ext.seeds, { ...clusterOptions(ext, p, 5000), enableOfflineQueue: true });
    cluster.on('error', () => {});
    try {
      await cluster.connect();
      const present = new Set<string>();
      for (const keys of keysByTag.values()) {
        for (let i = 0; i < keys.length; i += VERIFY_BATCH) {
          const batch = keys.slice(i, i + VERIFY_BATCH);
          const values = await cluster.mget(...batch);
          for (const [j, k] of batch.entries()) if (values[j] !== null) present.add(k);
        }
      }
      return { present, checked };
    } catch (err) {
      lastErr = err;
      await sleep(200, undefined, { signal: s }).catch(() => {});
    } finally {
      cluster.disconnect();
    }
  }
  throw new HarnessError(
    'VERIFY_FAILED',
    `redis-cluster-write: could not read keys back within ${VERIFY_TIMEOUT_MS}ms`,
    {
      cause: lastErr,
    },
  );
}

export const redisClusterWrite: Probe<RedisClusterWriteParams> = {
  params: redisClusterWriteParams,
  readsWritesBack: true,
  async start(ctx: RunContext, p, common): Promise<RunningProbe> {
    const ext = redisClusterTopology(ctx.env);
    if (!ext) {
      throw new HarnessError(
        'INVALID_INPUT',
        `redis-cluster-write: environment "${ctx.env.name}" offers no Redis Cluster topology (use environment redis-cluster)`,
      );
    }
    const tag = `${common.name}:${randomBytes(4).toString('hex')}`;
    const tags = ext.ranges.map((r) => tagsInRange(r, p.slotsPerRange, tag));
    const cluster = new Cluster(ext.seeds, clusterOptions(ext, p, common.timeoutMs));
    const where = `cluster seeds ${ext.seeds.map((e) => `${e.host}:${e.port}`).join(',')}`;
    let stopped = false;
    let failure: string | undefined;
    let nodeErrors = 0;
    const connectionLog: { tMs: number; event: string; detail?: string }[] = [];
    const note = (event: string, detail?: string) => {
      connectionLog.push({ tMs: Math.round(ctx.clock.now()), event, ...(detail ? { detail } : {}) });
      if (connectionLog.length > 30) connectionLog.shift();
    };
    cluster.on('error', (err: Error) => note('error', err.message));
    cluster.on('node error', (err: Error, address: string) => {
      nodeErrors++;
      note('node error', `${address}: ${err.message}`);
    });
    for (const event of ['ready', 'close', 'reconnecting', 'refresh'] as const)
      cluster.on(event, () => note(event));
    cluster.on('+node', (n: { options: { host?: string; port?: number } }) =>
      note('+node', `${n.options.host}:${n.options.port}`),
    );
    cluster.on('-node', (n: { options: { host?: string; port?: number } }) =>
      note('-node', `${n.options.host}:${n.options.port}`),
    );
    cluster.on('end', () => {
      note('end');
      if (!stopped) failure ??= `its Redis Cluster client (${where}) ended and will not reconnect`;
    });
    cluster.connect().catch(() => {});
    try {
      await waitReady(cluster, ctx.signal, p.connectTimeoutMs, where);
    } catch (err) {
      stopped = true;
      cluster.disconnect();
      throw err;
    }
    const mastersAtStart = await mastersNow(ext, ctx.signal);

    const value = 'x'.repeat(p.valueBytes);
    const ranges = ext.ranges.length;
    const tagOf = (id: number) => {
      const list = tags[id % ranges] as string[];
      return list[Math.floor(id / ranges) % list.length] as string;
    };
    const keyFor = (id: number) => `{${tagOf(id)}}:${id}`;
    const loop = new OpenLoop({
      intervalMs: common.intervalMs,
      timeoutMs: common.timeoutMs,
      clock: ctx.clock,
      keyFor,
      groupFor: (id) => (ext.ranges[id % ranges] as SlotRange).name,
      op: async (_signal, id) => {
        const key = keyFor(id);
        const reply = await cluster.set(key, value);
        if (reply !== 'OK') throw new Error(`SET answered ${String(reply)}`);
        return { key };
      },
      describeError: errorText,
    });
    loop.start();
    ctx.log(
      `redis-cluster-write ${common.name}: writing every ${common.intervalMs}ms over ${ranges} slot ranges via ${where}`,
    );

    let mastersAtEnd: Record<string, string> | undefined;
    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        await loop.stop();
        stopped = true;
        cluster.disconnect();
      })();
      return stopping;
    };
    return {
      name: common.name,
      kind: 'redis-cluster-write',
      intervalMs: common.intervalMs,
      timeoutMs: common.timeoutMs,
      ops: () => loop.ops,
      stop,
      async verify(signal) {
        mastersAtEnd = await mastersNow(ext, signal);
        const keysByTag = new Map<string, string[]>();
        for (const o of loop.ops) {
          if (o.key === undefined || o.outcome === 'fail') continue;
          const t = tagOf(o.id);
          const list = keysByTag.get(t);
          if (list) list.push(o.key);
          else keysByTag.set(t, [o.key]);
        }
        return readBack(ext, keysByTag, p, signal);
      },
      summary: () => ({
        via: where,
        slotsWritten: Object.fromEntries(
          ext.ranges.map((r, i) => [r.name, (tags[i] as string[]).map((t) => keySlot(t)).join(' ')]),
        ),
        mastersAtStart,
        ...(mastersAtEnd ? { mastersAtReadBack: mastersAtEnd } : {}),
        nodeErrors,
        connectionLog: [...connectionLog],
      }),
      failure: () => failure,
      [Symbol.asyncDispose]: stop,
    };
  },
};
