// Write workload for the sqlite-s3 trade store: open-loop POST /trades with a client-generated
// id, so a write that timed out can still be looked up afterwards. 201 = acknowledged.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Probe, RunningProbe, VerifyResult } from '../core/types.js';
import { OpenLoop } from './open-loop.js';
import { resolveEndpoint } from './running-open-loop.js';

export const sqliteTradesParams = z
  .object({
    /** Endpoint name of the target service. */
    endpoint: z.string().default('http'),
    symbol: z.string().default('BTC-PERP'),
    /** Ids per lookup request when verifying. */
    verifyBatch: z.number().int().positive().default(500),
  })
  .strict();
export type SqliteTradesParams = z.infer<typeof sqliteTradesParams>;

async function failText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  return `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

export const sqliteTrades: Probe<SqliteTradesParams> = {
  params: sqliteTradesParams,
  async start(ctx, params, common): Promise<RunningProbe> {
    // Resolved per op: after a restore the service is the same, but the lookup stays cheap.
    const baseUrl = async (signal: AbortSignal) => {
      const { endpoint: ep } = await resolveEndpoint(ctx, common.target, params.endpoint, signal);
      return `http://${ep.host}:${ep.port}`;
    };
    const prefix = `${common.name}-${randomBytes(4).toString('hex')}-`;
    let firstServiceFailureMs: number | undefined;
    const loop = new OpenLoop({
      intervalMs: common.intervalMs,
      timeoutMs: common.timeoutMs,
      clock: ctx.clock,
      keyFor: (id) => `${prefix}${id}`,
      op: async (signal, id) => {
        const startMs = ctx.clock.now();
        try {
          const res = await fetch(`${await baseUrl(signal)}/trades`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              id: `${prefix}${id}`,
              symbol: params.symbol,
              side: 'buy',
              qty: 1,
              price: 1,
            }),
            signal,
          });
          if (res.status !== 201) throw new Error(await failText(res));
          await res.arrayBuffer();
          return { key: `${prefix}${id}` };
        } catch (err) {
          firstServiceFailureMs ??= startMs;
          throw err;
        }
      },
    });
    loop.start();
    const verify = async (signal: AbortSignal): Promise<VerifyResult> => {
      const keys = loop.ops.filter((o) => o.outcome !== 'fail' && o.key !== undefined).map((o) => o.key!);
      const present = new Set<string>();
      const url = `${await baseUrl(signal)}/trades/lookup`;
      for (let i = 0; i < keys.length; i += params.verifyBatch) {
        const ids = keys.slice(i, i + params.verifyBatch);
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ids }),
          signal: AbortSignal.any([signal, AbortSignal.timeout(Math.max(5000, common.timeoutMs))]),
        });
        if (res.status !== 200)
          throw new Error(`read-back of ${ids.length} trades failed: ${await failText(res)}`);
        const body = (await res.json()) as { present?: unknown };
        if (!Array.isArray(body.present)) throw new Error('read-back answer has no "present" list');
        for (const k of body.present) if (typeof k === 'string') present.add(k);
      }
      return { present, checked: keys.length };
    };
    return {
      name: common.name,
      kind: 'sqlite-trades',
      intervalMs: common.intervalMs,
      timeoutMs: common.timeoutMs,
      ops: () => loop.ops,
      stop: () => loop.stop(),
      verify,
      summary: () => ({ ...loop.rate(), firstServiceFailureMs }),
      [Symbol.asyncDispose]: () => loop.stop(),
    };
  },
};
