import { Redis } from 'ioredis';
import type { StartedEnvironment } from '../../src/core/types.js';
import { testContext as sharedTestContext, type TestContext } from '../../src/testing/test-context.js';

export type { TestContext };
export const testContext = (name = 'redis-eventbus'): TestContext =>
  sharedTestContext(name, import.meta.dirname);

type Env = StartedEnvironment;

const url = (env: Env, service: string, path: string) => {
  const ep = env.services.get(service)?.endpoints.http;
  return `http://${ep?.host}:${ep?.port}${path}`;
};

export async function post(env: Env, id: string): Promise<{ status: number; stored: string }> {
  const r = await fetch(url(env, 'eventbus', `/events/${id}`), { method: 'POST', body: id });
  return { status: r.status, stored: ((await r.json()) as { stored: string }).stored };
}

export const status = async (env: Env) =>
  (await (await fetch(url(env, 'eventbus', '/status'))).json()) as {
    connected: boolean;
    buffered: number;
    replayed: number;
    dropped: number;
  };

/** The event ids in the stream, in stream order, read from the elected master's real port. */
export async function streamIds(env: Env): Promise<string[]> {
  const ports = env.info.ports as Record<string, { real: number }>;
  for (const n of ['redis-1', 'redis-2', 'redis-3']) {
    const r = new Redis({ host: '127.0.0.1', port: ports[n]?.real as number, lazyConnect: true });
    try {
      await r.connect();
      if ((await r.role())[0] !== 'master') continue;
      const entries = await r.xrange('events', '-', '+');
      return entries.map(([, f]) => f[f.indexOf('id') + 1] as string);
    } finally {
      r.disconnect();
    }
  }
  throw new Error('no master');
}
