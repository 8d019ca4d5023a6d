// Control-plane calls the harness makes to the Redis nodes and sentinels. They always use a
// node's real port, never its proxy, so an injected network fault cannot blind the harness.
import { Redis } from 'ioredis';
import type { Endpoint } from '../../src/core/types.js';

/** One command on a short-lived connection; bounded by timeoutMs and the signal. */
export async function redisCall(
  ep: Endpoint,
  args: readonly (string | number)[],
  opts: { signal?: AbortSignal | undefined; timeoutMs?: number } = {},
): Promise<unknown> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  opts.signal?.throwIfAborted();
  const client = new Redis({
    host: ep.host,
    port: ep.port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
  });
  // Without a listener ioredis prints every connection error; the caller gets them as rejections.
  client.on('error', () => {});
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(opts.signal?.reason ?? new Error('aborted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  try {
    const [cmd, ...rest] = args;
    return await Promise.race([
      (async () => {
        await client.connect();
        return client.call(String(cmd), ...rest.map(String));
      })(),
      aborted,
    ]);
  } finally {
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
    client.disconnect();
  }
}

/** The same, but undefined instead of an error (a node that is down has no answer). */
export async function tryRedisCall(
  ep: Endpoint,
  args: readonly (string | number)[],
  opts: { signal?: AbortSignal | undefined; timeoutMs?: number } = {},
): Promise<unknown> {
  try {
    return await redisCall(ep, args, opts);
  } catch {
    opts.signal?.throwIfAborted();
    return undefined;
  }
}

/** `[k1, v1, k2, v2]` (SENTINEL MASTER / REPLICAS entries) as a record. */
export function pairs(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

export type RoleReply =
  | { role: 'master'; replicas: { host: string; port: number; offset: number }[] }
  | { role: 'slave'; masterHost: string; masterPort: number; state: string }
  | { role: 'sentinel' };

/** Parses the reply of ROLE; undefined for anything unexpected. */
export function parseRole(reply: unknown): RoleReply | undefined {
  if (!Array.isArray(reply)) return undefined;
  const kind = String(reply[0]);
  if (kind === 'master') {
    const list = Array.isArray(reply[2]) ? (reply[2] as unknown[]) : [];
    return {
      role: 'master',
      replicas: list.map((r) => {
        const [host, port, offset] = Array.isArray(r) ? r : [];
        return { host: String(host), port: Number(port), offset: Number(offset) };
      }),
    };
  }
  if (kind === 'slave') {
    return {
      role: 'slave',
      masterHost: String(reply[1]),
      masterPort: Number(reply[2]),
      state: String(reply[3]),
    };
  }
  if (kind === 'sentinel') return { role: 'sentinel' };
  return undefined;
}

export async function askRole(
  ep: Endpoint,
  signal?: AbortSignal,
  timeoutMs = 500,
): Promise<RoleReply | undefined> {
  return parseRole(await tryRedisCall(ep, ['ROLE'], { signal, timeoutMs }));
}
