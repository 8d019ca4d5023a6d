// Kill the Redis master, and on dispose bring it back as a replica. The generic process-kill
// cannot do the second half safely: a master restarted without persistence comes back EMPTY
// and still a master for ~10 s (until Sentinel converts it); restarted before the failover,
// the replicas would resync from it and everything would be lost.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
import type { InjectedFault, Injector } from '../core/types.js';
import { positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';
import { redisSentinelTopology } from '../stacks/redis-sentinel.js';

export const redisKillMasterParams = withMsNames(
  z
    .strictObject({
      signal: z
        .enum(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT'])
        .default('SIGKILL')
        .describe('the signal sent to the master'),
      restart: z
        .boolean()
        .default(true)
        .describe('when reverted, start the killed node again as a replica of whoever the sentinels elected'),
      rejoinTimeout: positiveDuration
        .default(30_000)
        .describe('bound on waiting for the failover, the restart and the rejoin when reverted'),
    })
    .meta({
      description:
        'Kills the Redis master (redis-sentinel; the service with role primary unless `target` names another). When reverted it waits until the sentinels have elected another master, then starts the killed node again as a replica: restarted earlier, or as a master, it would come back empty and the replicas would resync from it. On redis-cluster target `{ role: master }` (the master of slots 0-5460 now; `master-2`, `master-3` the others): the node is started again once the running nodes gave its slots to its replica, and rejoins as that node’s replica.',
      examples: [{ target: { role: 'primary' }, signal: 'SIGKILL' }],
    }),
  ['rejoinTimeout'],
);

export type RedisKillMasterParams = z.infer<typeof redisKillMasterParams>;

export const redisKillMaster: Injector<RedisKillMasterParams> = {
  params: redisKillMasterParams,
  describe: (p) => `${p.signal} the Redis master${p.restart ? ', restart it as a replica on dispose' : ''}`,
  async inject(ctx, p, target): Promise<InjectedFault> {
    const selector = target.service !== undefined || target.role !== undefined ? target : { role: 'primary' };
    const svc = await ctx.env.resolve(selector, ctx.signal);
    const id = svc.id();
    if (id === undefined) {
      throw new HarnessError('INJECTION_FAILED', `redis-kill-master: ${svc.name} is not running`);
    }
    await svc.kill(p.signal);
    ctx.emit('redis-master-killed', `${p.signal} to ${svc.name} (${id})`, { service: svc.name, id });
    const details: Record<string, unknown> = { service: svc.name, id, signal: p.signal };
    return {
      description: `${p.signal} to Redis master ${svc.name} (${id})`,
      reversible: false,
      details,
      async [Symbol.asyncDispose]() {
        // Interrupted run: teardown stops everything; restarting now would only slow it down.
        if (!p.restart || ctx.signal.aborted || svc.running()) return;
        const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(p.rejoinTimeoutMs)]);
        const ext = redisSentinelTopology(ctx.env);
        const t0 = ctx.clock.now();
        try {
          if (ext) {
            // Never restart the node the sentinels still call master: it would come back empty.
            for (;;) {
              const elected = await ext.electedMaster(signal);
              if (elected !== undefined && elected !== svc.name) break;
              await sleep(100, undefined, { signal });
            }
          }
          await svc.start(signal);
          if (ext) await ext.waitHealthy(signal, p.rejoinTimeoutMs);
        } catch (cause) {
          throw new HarnessError(
            'RECOVERY_FAILED',
            `redis-kill-master: ${svc.name} did not rejoin as a replica within ${p.rejoinTimeoutMs}ms`,
            { cause },
          );
        }
        details.rejoinMs = ctx.clock.now() - t0;
        ctx.emit(
          'redis-rejoined',
          `${svc.name} rejoined as a replica in ${Math.round(ctx.clock.now() - t0)} ms`,
          {
            service: svc.name,
            rejoinMs: details.rejoinMs,
          },
        );
      },
    };
  },
};
