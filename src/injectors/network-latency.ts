import { z } from 'zod';
import type { Injector } from '../core/types.js';
import { duration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';
import { directionSchema, injectToxics, revertAfter, toxicitySchema } from './network-common.js';

const params = withMsNames(
  z
    .strictObject({
      latency: duration.describe('added to each chunk of data'),
      jitter: duration.default(0).describe('random variation of the latency, ± this much'),
      // Downstream by default: every request then waits the latency once more, as Toxiproxy's default stream.
      direction: directionSchema
        .default('downstream')
        .describe("'both' adds the latency twice per round trip"),
      toxicity: toxicitySchema,
      duration: revertAfter,
    })
    .meta({
      description:
        'Delays data to and/or from the target service by latency ± jitter (a Toxiproxy `latency` toxic on the fault proxy in front of it).',
      examples: [{ target: { role: 'primary' }, latency: '250ms', jitter: '20ms', duration: '10s' }],
    }),
  ['latency', 'jitter', 'duration'],
);
export type NetworkLatencyParams = z.infer<typeof params>;

function summary(p: NetworkLatencyParams): string {
  const jitter = p.jitterMs > 0 ? ` ± ${p.jitterMs} ms` : '';
  return `${p.latencyMs} ms${jitter} latency (${p.direction})`;
}

export const networkLatency: Injector<NetworkLatencyParams> = {
  params,
  needsFaultProxy: true,
  describe: summary,
  inject(ctx, p, target) {
    return injectToxics(ctx, target, 'network-latency', {
      toxic: {
        type: 'latency',
        toxicity: p.toxicity,
        attributes: { latency: p.latencyMs, jitter: p.jitterMs },
      },
      direction: p.direction,
      durationMs: p.durationMs,
      summary: summary(p),
    });
  },
};
