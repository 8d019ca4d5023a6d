import { describe, expect, it } from 'vitest';
import { networkPartition } from '../../src/injectors/network-partition.js';
import { markedProcesses } from '../../src/providers/local/run-registry.js';
import { FAULT_PROXY } from '../../src/proxy/index.js';
import { waitFor } from '../../src/testing/wait.js';
import redisEventbus, { redisEventbusOptions } from './environment.js';
import { post, status, streamIds, testContext } from './test-context.js';

describe('redis-eventbus environment', () => {
  it('buffers events on disk while the bus is cut off from Redis and replays them in order after the heal', async () => {
    using ctx = testContext();
    {
      await using env = await redisEventbus.start(ctx, redisEventbusOptions.parse({}));
      expect(env.extensions.get(FAULT_PROXY)?.proxiesFor('eventbus')).toHaveLength(6);
      const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `t-${from + i}`);
      for (const id of ids(0, 10)) expect(await post(env, id)).toEqual({ status: 200, stored: 'stream' });

      const run = ctx.runContext(env);
      const fault = await networkPartition.inject(run, networkPartition.params.parse({}), {
        service: 'eventbus',
      });
      const during: string[] = [];
      for (const id of ids(10, 40)) during.push((await post(env, id)).stored);
      // The first one may be sent before the bus noticed (then buffered after its timeout).
      expect(during.every((s) => s === 'buffer')).toBe(true);
      expect((await status(env)).buffered).toBe(30);
      expect(await streamIds(env)).toEqual(ids(0, 10));

      await fault[Symbol.asyncDispose]();
      const t0 = performance.now();
      await waitFor('buffer drained', async () => (await status(env)).buffered === 0, 15_000, 20);
      console.log(`drained 30 buffered events ${Math.round(performance.now() - t0)} ms after the heal`);
      for (const id of ids(40, 45)) expect((await post(env, id)).stored).toBe('stream');
      expect(await streamIds(env)).toEqual(ids(0, 45));
    }
    expect(markedProcesses(ctx.runId)).toEqual([]);
  });

  it('keeps the buffer across a SIGKILL of the bus: its supervisor restarts it and it replays', async () => {
    using ctx = testContext();
    {
      await using env = await redisEventbus.start(ctx, redisEventbusOptions.parse({ restartDelayMs: 300 }));
      const run = ctx.runContext(env);
      const fault = await networkPartition.inject(run, networkPartition.params.parse({}), {
        service: 'eventbus',
      });
      const ids = Array.from({ length: 20 }, (_, i) => `k-${i}`);
      for (const id of ids) expect((await post(env, id)).stored).toBe('buffer');
      const bus = env.services.get('eventbus');
      await bus?.kill('SIGKILL');
      await fault[Symbol.asyncDispose]();
      await waitFor('bus restarted', () => bus?.running(), 10_000);
      await bus?.waitReady();
      await waitFor('buffer replayed', async () => (await status(env)).replayed === 20, 15_000, 20);
      expect(await streamIds(env)).toEqual(ids);
    }
    expect(markedProcesses(ctx.runId)).toEqual([]);
  });

  it('with buffer: off (fire and forget) acknowledges the events sent while Redis is unreachable and loses them', async () => {
    using ctx = testContext();
    {
      await using env = await redisEventbus.start(ctx, redisEventbusOptions.parse({ buffer: 'off' }));
      const run = ctx.runContext(env);
      expect(await post(env, 'n-0')).toEqual({ status: 202, stored: 'accepted' });
      await waitFor('n-0 in the stream', async () => (await streamIds(env)).includes('n-0'), 5000);
      const fault = await networkPartition.inject(run, networkPartition.params.parse({}), {
        service: 'eventbus',
      });
      for (const id of ['n-1', 'n-2', 'n-3'])
        expect(await post(env, id)).toEqual({ status: 202, stored: 'accepted' });
      await fault[Symbol.asyncDispose]();
      await waitFor('reconnected', async () => (await status(env)).connected, 15_000, 20);
      expect((await post(env, 'n-4')).stored).toBe('accepted');
      await waitFor('n-4 in the stream', async () => (await streamIds(env)).includes('n-4'), 5000);
      expect(await streamIds(env)).toEqual(['n-0', 'n-4']);
      expect((await status(env)).dropped).toBe(3);
    }
    expect(markedProcesses(ctx.runId)).toEqual([]);
  });
});
