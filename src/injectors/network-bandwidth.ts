import { z } from 'zod';
import type { Injector } from '../core/types.js';
import { directionSchema, durationMsSchema, injectToxics, toxicitySchema } from './network-common.js';

const params = z.strictObject({
  rateKBps: z.number().positive().describe('kilobytes (1000 bytes) per second, per connection and direction'),
  direction: directionSchema.default('both'),
  toxicity: toxicitySchema,
  durationMs: durationMsSchema,
});
export type NetworkBandwidthParams = z.infer<typeof params>;

const summary = (p: NetworkBandwidthParams) => `bandwidth limited to ${p.rateKBps} KB/s (${p.direction})`;

/** Limits each connection to and/or from the target service to rateKBps (Toxiproxy `bandwidth` toxic). */
export const networkBandwidth: Injector<NetworkBandwidthParams> = {
  params,
  needsFaultProxy: true,
  describe: summary,
  inject(ctx, p, target) {
    return injectToxics(ctx, target, 'network-bandwidth', {
      toxic: { type: 'bandwidth', toxicity: p.toxicity, attributes: { rate: p.rateKBps } },
      direction: p.direction,
      durationMs: p.durationMs,
      summary: summary(p),
    });
  },
};
