import { z } from 'zod';
import type { Injector } from '../core/types.js';
import { withMsNames } from '../scenario/ms-names.js';
import { unit } from '../scenario/units.js';
import { directionSchema, injectToxics, revertAfter, toxicitySchema } from './network-common.js';

const params = withMsNames(
  z
    .strictObject({
      rateKBps: unit(
        z.number().positive().describe('kilobytes (1000 bytes) per second, per connection and direction'),
        'KB/s',
      ),
      direction: directionSchema.default('both'),
      toxicity: toxicitySchema,
      duration: revertAfter,
    })
    .meta({
      description:
        'Limits each connection to and/or from the target service to rateKBps (a Toxiproxy `bandwidth` toxic on the fault proxy in front of it).',
      examples: [{ target: { service: 'api' }, rateKBps: 10, duration: '5s' }],
    }),
  ['duration'],
);
export type NetworkBandwidthParams = z.infer<typeof params>;

const summary = (p: NetworkBandwidthParams) => `bandwidth limited to ${p.rateKBps} KB/s (${p.direction})`;

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
