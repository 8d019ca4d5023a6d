// Open-loop publishes of uniquely numbered events through an event bus's HTTP API (POST, one id per
// event), the bus's status polled all along (how many events it holds in its buffer, whether it
// reaches Redis), and after recovery the Redis Stream read back from the master the sentinels
// elect: lost events (acknowledged, absent: lost-writes and rpo, listed like lost writes),
// duplicate-events, out-of-order-events, and drain-time per buffer episode (eventbus-stream.ts).

import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
import type { OpRecord, Probe, RunContext, RunningProbe, VerifyResult } from '../core/types.js';
import { positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';
import { redisSentinelTopology } from '../stacks/redis-sentinel.js';
import { bufferEpisodes, type StatusPoll, streamFigures, worstDrainMs } from './eventbus-stream.js';
import { httpStatus, keepAliveAgent, requestErrorCode } from './http-client.js';
import { render, template, usesPlaceholder } from './http-template.js';
import { errorText } from './open-loop.js';
import { resolveEndpoint, runOpenLoop } from './running-open-loop.js';

/** Refused before the request reached the bus: the event certainly was not taken. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const XRANGE_BATCH = 1000;

const fields = z
  .strictObject({
    endpoint: z.string().default('http').describe("the bus service's endpoint (port name)"),
    path: template
      .refine((s) => s.startsWith('/'), 'expected a path starting with /')
      .refine((s) => usesPlaceholder(s, 'id'), 'expected {id} in the path: each event carries its id')
      .default('/events/{id}?seq={seq}')
      .describe('POST path of one event (placeholders {id}, {seq}, {sentAt})'),
    statusPath: z
      .string()
      .startsWith('/')
      .default('/status')
      .describe('GET answering JSON with `buffered` (events in the buffer) and `reachable` (Redis)'),
    statusInterval: positiveDuration.default(100).describe("how often the bus's status is polled"),
    stream: z.string().min(1).default('events').describe('the Redis Stream the bus publishes to'),
    idField: z.string().min(1).default('id').describe("the stream entry's field holding the event id"),
    drainTimeout: positiveDuration
      .default(60_000)
      .describe('before the read-back, how long to wait for the bus to empty its buffer'),
    consumer: z
      .string()
      .optional()
      .describe(
        'a consumer service whose GET /consumed?ids=1 lists the ids it read: the report says which stream events it missed',
      ),
  })
  .meta({
    description:
      'Publishes uniquely numbered events through an event bus (HTTP POST per event) while polling its status; after recovery reads the Redis Stream back from the elected master: lost events (lost-writes, rpo), duplicate-events, out-of-order-events, drain-time.',
    examples: [{ name: 'events', target: { service: 'eventbus' }, interval: '20ms', timeout: '1s' }],
  });

export const eventbusParams = withMsNames(fields, ['statusInterval', 'drainTimeout']);
export type EventbusParams = z.infer<typeof eventbusParams>;

async function getJson(
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const s = signal
    ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
    : AbortSignal.timeout(timeoutMs);
  const r = await fetch(url, { signal: s });
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return (await r.json()) as Record<string, unknown>;
}

/** The stream's event ids in order, read from the master the sentinels elect (its direct port). */
async function readStream(
  ctx: RunContext,
  stream: string,
  idField: string,
  signal: AbortSignal,
): Promise<string[]> {
  const topo = redisSentinelTopology(ctx.env);
  if (!topo)
    throw new HarnessError(
      'VERIFY_FAILED',
      `eventbus: environment "${ctx.env.name}" offers no Redis Sentinel topology`,
    );
  const master = await topo.electedMaster(signal);
  const svc = master ? ctx.env.services.get(master) : undefined;
  const ep = svc?.endpoints.direct ?? svc?.endpoints.redis;
  if (!ep)
    throw new HarnessError('VERIFY_FAILED', `eventbus: no elected Redis master to read "${stream}" from`);
  const client = new Redis({ ...ep, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    client.options.commandTimeout = 5000;
    await client.connect();
    const ids: string[] = [];
    let start = '-';
    for (;;) {
      signal.throwIfAborted();
      const batch = await client.xrange(stream, start, '+', 'COUNT', XRANGE_BATCH);
      for (const [, f] of batch) {
        const i = f.indexOf(idField);
        if (i >= 0 && i % 2 === 0) ids.push(f[i + 1] as string);
      }
      if (batch.length < XRANGE_BATCH) return ids;
      start = `(${(batch[batch.length - 1] as [string, string[]])[0]}`;
    }
  } finally {
    client.disconnect();
  }
}

export const eventbus: Probe<EventbusParams> = {
  params: eventbusParams,
  readsWritesBack: true,
  checksStream: true,
  series: ['buffered'],
  async start(ctx, p, common): Promise<RunningProbe> {
    const prefix = `${common.name}-${randomBytes(3).toString('hex')}`;
    const keyFor = (seq: number) => `${prefix}-${seq}`;
    const endpoint = async (signal?: AbortSignal) =>
      (await resolveEndpoint(ctx, common.target, p.endpoint, signal)).endpoint;
    ctx.log(
      `eventbus ${common.name}: POST ${p.path} every ${common.intervalMs}ms (ids ${prefix}-N), stream ${p.stream}`,
    );
    const agent = keepAliveAgent();

    // The bus's status, polled until the read-back is done (the buffer may still drain after the workload).
    const polls: StatusPoll[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const tMs = ctx.clock.now();
        try {
          const ep = await endpoint(ctx.signal);
          const s = await getJson(
            `http://${ep.host}:${ep.port}${p.statusPath}`,
            Math.max(p.statusIntervalMs, 500),
          );
          polls.push({
            tMs,
            answered: true,
            reachable: s.reachable === true,
            buffered: Number(s.buffered ?? 0),
          });
        } catch {
          polls.push({ tMs, answered: false, reachable: false, buffered: 0 });
        }
        const wait = p.statusIntervalMs - (ctx.clock.now() - tMs);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
    const stopPolling = async () => {
      polling = false;
      await poller;
    };

    let consumerSummary: Record<string, unknown> | undefined;
    const verify = async (signal: AbortSignal): Promise<VerifyResult> => {
      // Read back once the buffer is empty (or the wait is over: what is still buffered counts as lost).
      const t0 = ctx.clock.now();
      while (ctx.clock.now() < t0 + p.drainTimeoutMs) {
        if (polls.some((x) => x.tMs >= t0 && x.answered && x.buffered === 0)) break;
        await new Promise((r) => setTimeout(r, p.statusIntervalMs));
      }
      await stopPolling();
      const ids = await readStream(ctx, p.stream, p.idField, signal);
      const ops: readonly OpRecord[] = probe.ops();
      const f = streamFigures(ids, ops, prefix);
      const episodes = bufferEpisodes(polls);
      if (p.consumer) {
        const svc = ctx.env.services.get(p.consumer);
        const ep = svc?.endpoints.http;
        if (!ep)
          throw new HarnessError(
            'VERIFY_FAILED',
            `eventbus: no consumer service "${p.consumer}" with an http endpoint`,
          );
        // The consumer follows the stream: give it a moment to read the end.
        let missing: string[] = [];
        const until = ctx.clock.now() + 5000;
        do {
          const c = await getJson(`http://${ep.host}:${ep.port}/consumed?ids=1`, 5000, signal);
          const seen = new Set((c.ids as string[] | undefined) ?? []);
          missing = [...f.present].filter((id) => !seen.has(id));
          if (missing.length === 0) break;
          await new Promise((r) => setTimeout(r, 200));
        } while (ctx.clock.now() < until);
        consumerSummary = {
          service: p.consumer,
          missing: missing.length,
          missingSample: missing.slice(0, 20),
        };
      }
      return {
        present: f.present,
        checked: ops.filter((o) => o.key !== undefined).length,
        stream: {
          inStream: f.inStream,
          duplicated: f.duplicated,
          duplicatedSample: f.duplicatedSample,
          outOfOrder: f.outOfOrder,
          outOfOrderSample: f.outOfOrderSample,
          episodes,
          drainMs: worstDrainMs(episodes),
        },
      };
    };

    const probe = runOpenLoop(
      ctx,
      'eventbus',
      common,
      async (signal, seq) => {
        const values = { id: keyFor(seq), seq: String(seq), sentAt: new Date().toISOString() };
        const ep = await endpoint(signal);
        let status: number;
        try {
          status = await httpStatus(agent, {
            host: ep.host,
            port: ep.port,
            method: 'POST',
            path: render(p.path, values),
            headers: {},
            body: JSON.stringify(values),
            signal,
          });
        } catch (err) {
          // Sent, but no answer came: the bus may have taken it.
          if (!NOT_SENT.has(requestErrorCode(err) ?? ''))
            return { outcome: 'unknown', error: errorText(err) };
          throw new Error(errorText(err));
        }
        if (status < 200 || status >= 300) throw new Error(`HTTP ${status}, expected 2xx`);
        return undefined;
      },
      {
        keyFor,
        verify,
        samples: () => ({
          buffered: polls.filter((x) => x.answered).map((x) => ({ tMs: x.tMs, value: x.buffered })),
        }),
        summary: () => ({
          idPrefix: prefix,
          statusPolls: polls.length,
          statusUnanswered: polls.filter((x) => !x.answered).length,
          ...(consumerSummary ? { consumer: consumerSummary } : {}),
        }),
        close: async () => {
          await stopPolling();
          agent.destroy();
        },
      },
    );
    return probe;
  },
};
