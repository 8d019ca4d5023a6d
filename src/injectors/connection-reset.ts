import { z } from 'zod';
import type { Injector } from '../core/types.js';
import { duration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';
import { directionSchema, injectToxics, revertAfter, toxicitySchema } from './network-common.js';

const params = withMsNames(
  z
    .strictObject({
      after: duration.default(0).describe('wait this long after the data that triggers the reset'),
      direction: directionSchema.default('both'),
      toxicity: toxicitySchema,
      duration: revertAfter,
    })
    .meta({
      description:
        'Resets (TCP RST, ECONNRESET at the peer) every connection to the target service `after` its next data, dropping that data; new connections meet the same fate until reverted. Idle connections are reset when next used, as with Toxiproxy `reset_peer`.',
      examples: [{ target: { service: 'api' }, after: '100ms', duration: '3s' }],
    }),
  ['after', 'duration'],
);
export type ConnectionResetParams = z.infer<typeof params>;

const summary = (p: ConnectionResetParams) =>
  `connections reset ${p.afterMs} ms after their next data (${p.direction})`;

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
