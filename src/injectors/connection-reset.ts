import { z } from 'zod';
import type { Injector } from '../core/types.js';
import { directionSchema, durationMsSchema, injectToxics, toxicitySchema } from './network-common.js';

const params = z.strictObject({
  afterMs: z
    .number()
    .nonnegative()
    .default(0)
    .describe('wait this long after the data that triggers the reset'),
  direction: directionSchema.default('both'),
  toxicity: toxicitySchema,
  durationMs: durationMsSchema,
});
export type ConnectionResetParams = z.infer<typeof params>;

const summary = (p: ConnectionResetParams) =>
  `connections reset ${p.afterMs} ms after their next data (${p.direction})`;

/**
 * Resets (TCP RST, ECONNRESET at the peer) every connection to the target service afterMs after
 * it next carries data, dropping that data; new connections meet the same fate until reverted.
 * Idle connections are reset when next used, as with Toxiproxy's `reset_peer`.
 */
export const connectionReset: Injector<ConnectionResetParams> = {
  params,
  needsFaultProxy: true,
  describe: summary,
  inject(ctx, p, target) {
    return injectToxics(ctx, target, 'connection-reset', {
      toxic: { type: 'reset_peer', toxicity: p.toxicity, attributes: { timeout: p.afterMs } },
      direction: p.direction,
      durationMs: p.durationMs,
      summary: summary(p),
    });
  },
};
