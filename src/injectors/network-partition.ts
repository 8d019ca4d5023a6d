import type { Proxy as ToxiproxyProxy } from 'toxiproxy-node-client';
import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
import type { Injector } from '../core/types.js';
import { durationMsSchema, errorMessage, revertibleFault, routedProxies } from './network-common.js';

const params = z.strictObject({ durationMs: durationMsSchema });
export type NetworkPartitionParams = z.infer<typeof params>;

const KIND = 'network-partition';

/**
 * Cuts the target service off from everyone: every proxy in front of it is disabled, which
 * drops open connections and refuses new ones. Reverting enables them again.
 */
export const networkPartition: Injector<NetworkPartitionParams> = {
  params,
  needsFaultProxy: true,
  describe: (p) => `partition${p.durationMs !== undefined ? ` for ${p.durationMs} ms` : ''}`,
  async inject(ctx, p, target) {
    const routed = await routedProxies(ctx, target, KIND);
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
