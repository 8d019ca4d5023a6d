import type { Proxy as ToxiproxyProxy } from 'toxiproxy-node-client';
import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
import type { InjectedFault, Injector, RunContext, StartedService } from '../core/types.js';
import { withMsNames } from '../scenario/ms-names.js';
import { errorMessage, revertAfter, revertibleFault, routedProxies } from './network-common.js';

const params = withMsNames(
  z.strictObject({ duration: revertAfter }).meta({
    description:
      'Cuts the target service off from everyone. With a provider that can isolate a service on the network (containers), its packets to and from the other services are dropped both ways; otherwise every fault-proxy proxy in front of it is disabled, which drops open connections and refuses new ones. Reverting heals the partition.',
    examples: [{ target: { role: 'primary' }, duration: '6s' }],
  }),
  ['duration'],
);
export type NetworkPartitionParams = z.infer<typeof params>;

const KIND = 'network-partition';

/**
 * A partition at the network level, where the provider can make one (`isolate()`: containers drop
 * every packet between the target and the other services, both ways, while the host still reaches
 * it). Reverting heals it.
 */
async function isolate(
  ctx: RunContext,
  p: NetworkPartitionParams,
  svc: StartedService & Required<Pick<StartedService, 'isolate'>>,
): Promise<InjectedFault> {
  let isolation: Awaited<ReturnType<typeof svc.isolate>>;
  try {
    isolation = await svc.isolate(ctx.signal);
  } catch (err) {
    if (err instanceof HarnessError) throw err;
    throw new HarnessError('INJECTION_FAILED', `${KIND} of service "${svc.name}": ${errorMessage(err)}`, {
      cause: err,
    });
  }
  const details: Record<string, unknown> = {
    service: svc.name,
    ...isolation.details,
    durationMs: p.durationMs,
  };
  return revertibleFault(
    `partitioned "${svc.name}" from the other services (packets dropped both ways)`,
    details,
    async () => {
      await isolation[Symbol.asyncDispose]();
      Object.assign(details, isolation.details);
    },
    p.durationMs,
  );
}

/**
 * Cuts the target service off from everyone. With a provider that can isolate a service on the
 * network (containers), its packets to and from the other services are dropped; otherwise every
 * fault-proxy proxy in front of it is disabled, which drops open connections and refuses new ones.
 * Reverting heals the partition or enables the proxies again.
 */
export const networkPartition: Injector<NetworkPartitionParams> = {
  params,
  needsFaultProxy: true,
  describe: (p) => `partition${p.durationMs !== undefined ? ` for ${p.durationMs} ms` : ''}`,
  async inject(ctx, p, target) {
    const svc = await ctx.env.resolve(target, ctx.signal);
    if (svc.isolate) return isolate(ctx, p, svc as Parameters<typeof isolate>[2]);
    const routed = await routedProxies(ctx, target, KIND, svc);
    // Proxies someone else had already disabled are left as they were on revert.
    const disabled: ToxiproxyProxy[] = [];
    const setEnabled = (proxy: ToxiproxyProxy, enabled: boolean) =>
      proxy.update({ enabled, listen: proxy.listen, upstream: proxy.upstream });
    const enableAll = async () => {
      const errors: string[] = [];
      for (const proxy of disabled.splice(0)) {
        try {
          await setEnabled(proxy, true);
        } catch (err) {
          errors.push(`${proxy.name}: ${errorMessage(err)}`);
        }
      }
      if (errors.length > 0)
        throw new HarnessError('RECOVERY_FAILED', `${KIND}: could not re-enable ${errors.join('; ')}`);
    };
    try {
      for (const proxy of routed.proxies) {
        ctx.signal.throwIfAborted();
        if (!proxy.enabled) continue;
        await setEnabled(proxy, false);
        disabled.push(proxy);
      }
    } catch (err) {
      await enableAll().catch(() => {});
      throw new HarnessError(
        'INJECTION_FAILED',
        `${KIND} of service "${routed.service}": ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    const names = disabled.map((x) => x.name);
    return revertibleFault(
      `partitioned "${routed.service}" (disabled ${names.length} prox${names.length === 1 ? 'y' : 'ies'})`,
      { service: routed.service, apiUrl: routed.apiUrl, proxies: names, durationMs: p.durationMs },
      enableAll,
      p.durationMs,
    );
  },
};
