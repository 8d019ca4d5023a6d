import { z } from 'zod';
import type { Injector } from '../core/types.js';
import { directionSchema, durationMsSchema, injectToxics, toxicitySchema } from './network-common.js';

const params = z.strictObject({
  latencyMs: z.number().nonnegative(),
  jitterMs: z.number().nonnegative().default(0),
  // Downstream by default: every request then waits latencyMs once more, as Toxiproxy's default stream.
  direction: directionSchema.default('downstream').describe("'both' adds the latency twice per round trip"),
  toxicity: toxicitySchema,
  durationMs: durationMsSchema,
});
export type NetworkLatencyParams = z.infer<typeof params>;

function summary(p: NetworkLatencyParams): string {
  const jitter = p.jitterMs > 0 ? ` ± ${p.jitterMs} ms` : '';
  return `${p.latencyMs} ms${jitter} latency (${p.direction})`;
}

/** Delays data to and/or from the target service by latencyMs ± jitterMs (Toxiproxy `latency` toxic). */
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
