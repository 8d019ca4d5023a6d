// http-write's read-back after recovery: every id whose write was acknowledged or is indeterminate,
// asked of the service either one GET per id (200 present, 404 absent) with bounded concurrency, or
// one GET of a list of ids. Any other answer is retried until the read-back's deadline and then ends
// the run ERROR: a read that does not work says nothing about what was lost.

import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, HarnessError } from '../core/errors.js';
import type { Endpoint, VerifyResult } from '../core/types.js';
import { render } from './http-template.js';

export interface ReadBackSpec {
  /** "http-write writes", for messages. */
  who: string;
  /** Where the service is now (it may have moved since the writes). */
  endpoint: (signal: AbortSignal) => Promise<Endpoint>;
  readPath?: string | undefined;
  listPath?: string | undefined;
  headers: Readonly<Record<string, string>>;
  concurrency: number;
  requestTimeoutMs: number;
  timeoutMs: number;
}

const RETRY_MS = 200;

/** The system error under fetch's "fetch failed" (ECONNREFUSED, ECONNRESET, ...), if any. */
function causeCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** "fetch failed (ECONNREFUSED)" rather than "fetch failed". */
function httpErrorText(err: unknown): string {
  const code = causeCode(err);
  const text = errorMessage(err);
  return code && !text.includes(code) ? `${text} (${code})` : text;
}

/** Ids in a list response: a JSON array (of strings or numbers), else one id per line. */
export function parseIdList(body: string): string[] {
  const t = body.trim();
  if (t.startsWith('[')) {
    const v: unknown = JSON.parse(t);
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' || typeof x === 'number')) {
      throw new Error('expected a JSON array of ids (strings or numbers)');
    }
    return v.map(String);
  }
  return t
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

async function get(
  spec: ReadBackSpec,
  path: string,
  signal: AbortSignal,
): Promise<{ status: number; body: string }> {
  const ep = await spec.endpoint(signal);
  const res = await fetch(`http://${ep.host}:${ep.port}${path}`, {
    headers: spec.headers,
    signal: AbortSignal.any([signal, AbortSignal.timeout(spec.requestTimeoutMs)]),
  });
  return { status: res.status, body: await res.text() };
}

/** Retries `attempt` until it returns a value, or throws VERIFY_FAILED with the last problem. */
async function untilAnswered<T>(
  spec: ReadBackSpec,
  what: string,
  deadline: AbortSignal,
  attempt: (signal: AbortSignal) => Promise<T | string>,
  progress: () => string,
): Promise<T> {
  let last = 'no answer';
  while (!deadline.aborted) {
    try {
      const r = await attempt(deadline);
      if (typeof r !== 'string') return r;
      last = r;
    } catch (err) {
      if (!deadline.aborted) last = httpErrorText(err);
    }
    await sleep(RETRY_MS, undefined, { signal: deadline }).catch(() => undefined);
  }
  throw new HarnessError(
    'VERIFY_FAILED',
    `${spec.who}: ${what}: ${last}, until the read-back timeout of ${spec.timeoutMs} ms (${progress()}); ` +
      'a read-back that does not work measures nothing, so nothing is counted as lost',
  );
}

export async function readBack(
  spec: ReadBackSpec,
  ids: ReadonlySet<string>,
  signal: AbortSignal,
): Promise<VerifyResult> {
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(spec.timeoutMs)]);
  const present = new Set<string>();
  if (spec.listPath !== undefined) {
    const listPath = spec.listPath;
    const listed = await untilAnswered(
      spec,
      `GET ${listPath}`,
      deadline,
      async (s) => {
        const r = await get(spec, listPath, s);
        if (r.status !== 200) return `HTTP ${r.status} (expected 200 with the list of ids)`;
        try {
          return parseIdList(r.body);
        } catch (err) {
          return `the body is not a list of ids: ${errorMessage(err)}`;
        }
      },
      () => `${ids.size} ids to check`,
    );
    for (const id of listed) if (ids.has(id)) present.add(id);
    signal.throwIfAborted();
    return { present, checked: ids.size };
  }
  const readPath = spec.readPath as string;
  const queue = [...ids];
  let done = 0;
  const worker = async () => {
    for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
      const path = render(readPath, { id, seq: '', sentAt: '' });
      const found = await untilAnswered(
        spec,
        `GET ${path}`,
        deadline,
        async (s) => {
          const r = await get(spec, path, s);
          if (r.status === 200) return true;
          if (r.status === 404) return false;
          return `HTTP ${r.status} (expected 200 present or 404 absent)`;
        },
        () => `${done} of ${ids.size} ids read`,
      );
      if (found) present.add(id);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, Math.max(1, ids.size)) }, worker));
  signal.throwIfAborted();
  return { present, checked: ids.size };
}
