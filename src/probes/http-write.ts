// Open-loop writes to the user's own HTTP service, one unique id per operation templated into the
// request (path, query, headers, body), and after recovery every acknowledged or indeterminate id
// read back (http-read-back.ts): lost-writes, lost-writes-after-fault and rpo as for postgres-write.

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Probe, RunningProbe } from '../core/types.js';
import { positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';
import { httpStatus, keepAliveAgent, requestErrorCode } from './http-client.js';
import { readBack } from './http-read-back.js';
import { render, template, usesPlaceholder } from './http-template.js';
import { errorText } from './open-loop.js';
import { resolveEndpoint, runOpenLoop } from './running-open-loop.js';

/** Refused before the request reached the service: the write certainly did not happen. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

const httpWriteFields = z
  .strictObject({
    endpoint: z.string().default('http').describe("the target service's endpoint (port name)"),
    method: z.enum(['PUT', 'POST', 'PATCH']).default('PUT').describe('HTTP method of the writes'),
    path: template
      .refine((s) => s.startsWith('/'), 'expected a path starting with /')
      .default('/kv/{id}')
      .describe(
        'path and query of the write, e.g. /kv/{id} or /items?id={id} (placeholders {id}, {seq}, {sentAt})',
      ),
    headers: z.record(z.string(), template).optional().describe('request headers (templates)'),
    body: template.optional().describe('request body (a template)'),
    okStatus: z
      .array(z.number().int().min(100).max(599))
      .min(1)
      .optional()
      .describe('statuses that acknowledge a write (default: any 2xx)'),
    readPath: template
      .optional()
      .describe(
        'read-back, one GET per id: 200 present, 404 absent, anything else an error (this or listPath)',
      ),
    listPath: z
      .string()
      .startsWith('/')
      .optional()
      .describe('read-back, one GET returning every id the service has: a JSON array, or one id per line'),
    readHeaders: z
      .record(z.string(), z.string())
      .optional()
      .describe('headers of the read-back requests (e.g. authorization)'),
    readConcurrency: z.number().int().min(1).max(64).default(8).describe('read-back GETs in flight at once'),
    readTimeout: positiveDuration.default(5000).describe('per read-back request'),
    verifyTimeout: positiveDuration
      .default(60_000)
      .describe('the whole read-back, retries of failed requests included; then the run is ERROR'),
  })
  .superRefine((v, c) => {
    if ((v.readPath === undefined) === (v.listPath === undefined)) {
      c.addIssue({
        code: 'custom',
        path: ['readPath'],
        message:
          'expected exactly one of readPath (GET per id, e.g. /kv/{id}: 200 present, 404 absent) and listPath (GET returning every id)',
      });
    }
    if (v.readPath !== undefined && !usesPlaceholder(v.readPath, 'id')) {
      c.addIssue({
        code: 'custom',
        path: ['readPath'],
        message: `expected {id} in the path, got "${v.readPath}"`,
      });
    }
    const written = [v.path, v.body, ...Object.values(v.headers ?? {})];
    if (!written.some((t) => usesPlaceholder(t, 'id'))) {
      c.addIssue({
        code: 'custom',
        path: ['path'],
        message:
          'expected {id} in the path, a header or the body: each write must carry its id to be read back',
      });
    }
  });

export const httpWriteParams = withMsNames(
  httpWriteFields.meta({
    description:
      'Open-loop writes to your own HTTP service, one unique id per operation templated into the request; after recovery every acknowledged or indeterminate id is read back (readPath or listPath), so it measures rpo, lost-writes and lost-writes-after-fault.',
    examples: [
      {
        name: 'writes',
        target: { service: 'kv' },
        interval: '20ms',
        timeout: '1s',
        path: '/kv/{id}',
        body: '{"id":"{id}","sentAt":"{sentAt}"}',
        readPath: '/kv/{id}',
      },
    ],
  }),
  ['readTimeout', 'verifyTimeout'],
);

export type HttpWriteParams = z.infer<typeof httpWriteParams>;

export const httpWrite: Probe<HttpWriteParams> = {
  params: httpWriteParams,
  readsWritesBack: true,
  async start(ctx, p, common): Promise<RunningProbe> {
    // Unique across iterations and runs against a service that keeps its data.
    const prefix = `${common.name}-${randomBytes(3).toString('hex')}`;
    const keyFor = (seq: number) => `${prefix}-${seq}`;
    const acked = (status: number) =>
      p.okStatus ? p.okStatus.includes(status) : status >= 200 && status < 300;
    const endpoint = async (signal: AbortSignal) =>
      (await resolveEndpoint(ctx, common.target, p.endpoint, signal)).endpoint;
    ctx.log(
      `http-write ${common.name}: ${p.method} ${p.path} every ${common.intervalMs}ms (ids ${prefix}-N)`,
    );
    const agent = keepAliveAgent();
    const probe = runOpenLoop(
      ctx,
      'http-write',
      common,
      async (signal, seq) => {
        const values = { id: keyFor(seq), seq: String(seq), sentAt: new Date().toISOString() };
        const headers = Object.fromEntries(
          Object.entries(p.headers ?? {}).map(([k, v]) => [k, render(v, values)]),
        );
        // The service is resolved per request: it may move (failover, restart on a new port).
        const ep = await endpoint(signal);
        let status: number;
        try {
          status = await httpStatus(agent, {
            host: ep.host,
            port: ep.port,
            method: p.method,
            path: render(p.path, values),
            headers,
            body: p.body === undefined ? undefined : render(p.body, values),
            signal,
          });
        } catch (err) {
          // Sent, but no answer came (a reset, a closed socket): it may have been applied.
          if (!NOT_SENT.has(requestErrorCode(err) ?? ''))
            return { outcome: 'unknown', error: errorText(err) };
          throw new Error(errorText(err));
        }
        if (!acked(status)) {
          throw new Error(`HTTP ${status}, expected ${p.okStatus ? p.okStatus.join(' or ') : '2xx'}`);
        }
        return undefined;
      },
      {
        keyFor,
        verify: (signal) => {
          const ids = new Set<string>();
          for (const o of probe.ops()) if (o.key !== undefined && o.outcome !== 'fail') ids.add(o.key);
          return readBack(
            {
              who: `http-write ${common.name}`,
              endpoint,
              readPath: p.readPath,
              listPath: p.listPath,
              headers: p.readHeaders ?? {},
              concurrency: p.readConcurrency,
              requestTimeoutMs: p.readTimeoutMs,
              timeoutMs: p.verifyTimeoutMs,
            },
            ids,
            signal,
          );
        },
        summary: () => ({ idPrefix: prefix }),
        close: async () => agent.destroy(),
      },
    );
    return probe;
  },
};
