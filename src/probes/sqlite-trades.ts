// Write workload for the sqlite-s3 trade store: open-loop POST /trades with a client-generated
// id, so a write that timed out can still be looked up afterwards. 201 = acknowledged.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Probe, RunningProbe, VerifyResult } from '../core/types.js';
import { OpenLoop } from './open-loop.js';
import { resolveEndpoint } from './running-open-loop.js';

export const sqliteTradesParams = z
  .strictObject({
    endpoint: z.string().default('http').describe("the target service's endpoint (port name)"),
    symbol: z.string().default('BTC-PERP').describe('the symbol of every trade'),
    verifyBatch: z.number().int().positive().default(500).describe('ids per lookup request of the read-back'),
    readBack: z
      .boolean()
      .default(false)
      .describe(
        'read your writes: every operation first looks up the newest readBackWindow acknowledged trades and fails if one is missing (loss that fails no request, e.g. a database back without its WAL); a missing trade is reported once, as a `detected` event (data loss)',
      ),
    readBackWindow: z
      .number()
      .int()
      .positive()
      .default(100)
      .describe('with readBack: how many of the newest acknowledged trades each operation looks up'),
  })
  .meta({
    description:
      'Open-loop POST /trades to the sqlite-s3 trade store, each with a client-generated id (201 = acknowledged); after recovery every acknowledged or timed-out id is read back, so it measures rpo, lost-writes and lost-writes-after-fault.',
    examples: [
      { name: 'trades', target: { service: 'trade-store' }, interval: '50ms', timeout: '1s', readBack: true },
    ],
  });
export type SqliteTradesParams = z.infer<typeof sqliteTradesParams>;

/** Acknowledged trades that a read-back did not find: the service answered, the data is gone. */
class MissingTrades extends Error {}

async function failText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  return `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

export const sqliteTrades: Probe<SqliteTradesParams> = {
  params: sqliteTradesParams,
  readsWritesBack: true,
  async start(ctx, params, common): Promise<RunningProbe> {
    // Resolved per op: after a restore the service is the same, but the lookup stays cheap.
    const baseUrl = async (signal: AbortSignal) => {
      const { endpoint: ep } = await resolveEndpoint(ctx, common.target, params.endpoint, signal);
      return `http://${ep.host}:${ep.port}`;
    };
    const prefix = `${common.name}-${randomBytes(4).toString('hex')}-`;
    let firstServiceFailureMs: number | undefined;
    let firstDataLossMs: number | undefined;
    let missingOnReadBack = 0;
    /** readBack: acknowledged keys in acknowledgement order, and those already found missing. */
    const acked: string[] = [];
    const knownMissing = new Set<string>();
    const lookup = async (base: string, ids: string[], signal: AbortSignal): Promise<Set<string>> => {
      const res = await fetch(`${base}/trades/lookup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ids }),
        signal,
      });
      if (res.status !== 200)
        throw new Error(`read-back of ${ids.length} trades failed: ${await failText(res)}`);
      const body = (await res.json()) as { present?: unknown };
      if (!Array.isArray(body.present)) throw new Error('read-back answer has no "present" list');
      return new Set(body.present.filter((k): k is string => typeof k === 'string'));
    };
    const readBack = async (base: string, signal: AbortSignal, startMs: number): Promise<void> => {
      const batch: string[] = [];
      for (let i = acked.length - 1; i >= 0 && batch.length < params.readBackWindow; i--)
        if (!knownMissing.has(acked[i]!)) batch.push(acked[i]!);
      if (batch.length === 0) return;
      const present = await lookup(base, batch, signal);
      const missing = batch.filter((k) => !present.has(k));
      if (missing.length === 0) return;
      for (const k of missing) knownMissing.add(k);
      missingOnReadBack += missing.length;
      if (firstDataLossMs === undefined) {
        firstDataLossMs = startMs;
        ctx.emit(
          'detected',
          `${common.name}: ${missing.length} acknowledged trade(s) missing on read-back (first: ${missing[0]})`,
          { probe: common.name, what: 'data-loss', missing: missing.length, checkStartMs: startMs },
        );
      }
      throw new MissingTrades(
        `${missing.length} acknowledged trade(s) missing on read-back (first: ${missing[0]})`,
      );
    };
    const loop = new OpenLoop({
      intervalMs: common.intervalMs,
      timeoutMs: common.timeoutMs,
      clock: ctx.clock,
      keyFor: (id) => `${prefix}${id}`,
      op: async (signal, id) => {
        const startMs = ctx.clock.now();
        try {
          const base = await baseUrl(signal);
          if (params.readBack) await readBack(base, signal, startMs);
          const res = await fetch(`${base}/trades`, {
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
          if (params.readBack) acked.push(`${prefix}${id}`);
          return { key: `${prefix}${id}` };
        } catch (err) {
          if (!(err instanceof MissingTrades)) firstServiceFailureMs ??= startMs;
          throw err;
        }
      },
    });
    loop.start();
    const verify = async (signal: AbortSignal): Promise<VerifyResult> => {
      const keys = loop.ops.filter((o) => o.outcome !== 'fail' && o.key !== undefined).map((o) => o.key!);
      const present = new Set<string>();
      const base = await baseUrl(signal);
      for (let i = 0; i < keys.length; i += params.verifyBatch) {
        const ids = keys.slice(i, i + params.verifyBatch);
        const t = AbortSignal.any([signal, AbortSignal.timeout(Math.max(5000, common.timeoutMs))]);
        for (const k of await lookup(base, ids, t)) present.add(k);
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
      summary: () => ({
        firstServiceFailureMs,
        ...(params.readBack ? { firstDataLossMs, missingOnReadBack } : {}),
      }),
      [Symbol.asyncDispose]: () => loop.stop(),
    };
  },
};
