// redis-eventbus on the containers provider, against the real engine: the bus in chaos-harness/node
// buffers through a real (silent) partition, keeps its buffer across a SIGKILL and replays it in
// order, and nothing is left behind.
import { describe, expect, it } from 'vitest';
import { networkPartition } from '../../src/injectors/network-partition.js';
import { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../../src/testing/containers.js';
import { waitFor } from '../../src/testing/wait.js';
import redisEventbus, { redisEventbusOptions } from './environment.js';
import { post, status, streamIds, testContext } from './test-context.js';

const { skip } = await engineForTests('redis-eventbus containers test');

describe.skipIf(skip !== undefined)('redis-eventbus environment on the containers provider', () => {
  it('buffers behind a real partition, keeps the buffer across a SIGKILL, replays it in order, leaves nothing', async () => {
    using ctx = testContext();
    const rt = await ContainerRuntime.open(ctx.runId);
    ctx.provider = 'containers';
    ctx.containers = rt;
    try {
      await using env = await redisEventbus.start(ctx, redisEventbusOptions.parse({ restartDelayMs: 300 }));
      expect(await post(env, 'c-0')).toEqual({ status: 200, stored: 'stream' });
      const run = ctx.runContext(env);
      const fault = await networkPartition.inject(run, networkPartition.params.parse({}), {
        service: 'eventbus',
      });
      const ids = Array.from({ length: 20 }, (_, i) => `c-${i + 1}`);
      // Packets are dropped, not refused: the first publish waits out its 500 ms command timeout.
      for (const id of ids) expect((await post(env, id)).stored).toBe('buffer');
      expect((await status(env)).buffered).toBe(20);
      expect(await streamIds(env)).toEqual(['c-0']);
      const bus = env.services.get('eventbus');
      await bus?.kill('SIGKILL');
      await fault[Symbol.asyncDispose]();
      await waitFor('bus restarted', () => bus?.running(), 15_000);
      await bus?.waitReady();
      await waitFor('buffer replayed', async () => (await status(env)).buffered === 0, 15_000, 20);
      expect(await streamIds(env)).toEqual(['c-0', ...ids]);
    } finally {
      await rt[Symbol.asyncDispose]();
    }
    expect(await runLeftovers(rt.docker, ctx.runId)).toEqual(NOTHING_LEFT);
  }, 90_000);
});
