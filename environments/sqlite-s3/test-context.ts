// Minimal contexts for this environment's tests (and those of its probes, injector and action).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { incidentFrom } from '../../src/core/incident.js';
import type { Incident, RunContext, RunEvent, StartedEnvironment } from '../../src/core/types.js';
import { testContext } from '../../src/testing/test-context.js';
import environment, { type SqliteS3Options, sqliteS3Options } from './environment.js';

export interface TestStack extends AsyncDisposable {
  env: StartedEnvironment;
  ctx: RunContext;
  events: RunEvent[];
  runId: string;
  runDir: string;
  workDir: string;
  /** An incident that started now (or at `injectStartMs`), detected by this stack's events. */
  incident(injectStartMs?: number): Incident;
}

export async function startTestStack(options: Partial<SqliteS3Options> = {}): Promise<TestStack> {
  const tc = testContext('sqlite-s3', dirname(fileURLToPath(import.meta.url)));
  const env = await environment.start(tc, sqliteS3Options.parse(options));
  const ctx = tc.runContext(env);
  return {
    env,
    ctx,
    events: tc.events,
    runId: tc.runId,
    runDir: tc.runDir,
    workDir: tc.workDir,
    incident: (injectStartMs = ctx.clock.now()) => incidentFrom(tc.events, injectStartMs),
    async [Symbol.asyncDispose]() {
      await env[Symbol.asyncDispose]();
      tc[Symbol.dispose]();
    },
  };
}

export async function postTrade(base: string, id: string): Promise<number> {
  const res = await fetch(`${base}/trades`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, symbol: 'BTC-PERP', qty: 1, price: 1 }),
    signal: AbortSignal.timeout(5000),
  });
  await res.arrayBuffer();
  return res.status;
}
