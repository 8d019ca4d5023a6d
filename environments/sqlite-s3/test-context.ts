// Minimal contexts for this environment's tests (and those of its probes, injector and action).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import type {
  Clock,
  EnvironmentStartContext,
  RunContext,
  RunEvent,
  StartedEnvironment,
} from '../../src/core/types.js';
import environment, { type SqliteS3Options, sqliteS3Options } from './environment.js';

export interface TestStack extends AsyncDisposable {
  env: StartedEnvironment;
  ctx: RunContext;
  events: RunEvent[];
  runId: string;
  runDir: string;
  workDir: string;
}

export const testClock = (): Clock => {
  const t0 = performance.now();
  const wall0 = Date.now();
  return { now: () => performance.now() - t0, isoAt: (ms) => new Date(wall0 + ms).toISOString() };
};

export async function startTestStack(options: Partial<SqliteS3Options> = {}): Promise<TestStack> {
  const runDir = mkdtempSync(join(tmpdir(), 'sqlite-s3-run-'));
  const workDir = mkdtempSync(join(tmpdir(), 'sqlite-s3-work-'));
  const runId = `test-${randomBytes(4).toString('hex')}`;
  const clock = testClock();
  const events: RunEvent[] = [];
  const ac = new AbortController();
  const emit = (type: string, message: string, data?: Record<string, unknown>) => {
    events.push({ tMs: clock.now(), type, message, ...(data ? { data } : {}) });
  };
  const log = (m: string) => {
    if (process.env.TEST_VERBOSE) console.log(m);
  };
  const startCtx: EnvironmentStartContext = {
    name: 'sqlite-s3',
    dir: dirname(fileURLToPath(import.meta.url)),
    runDir,
    workDir,
    runId,
    clock,
    signal: ac.signal,
    log,
    emit,
    freePort: () => getPort({ host: '127.0.0.1' }),
  };
  const env = await environment.start(startCtx, sqliteS3Options.parse(options));
  const ctx: RunContext = { env, clock, signal: ac.signal, log, emit, runDir };
  return {
    env,
    ctx,
    events,
    runId,
    runDir,
    workDir,
    async [Symbol.asyncDispose]() {
      ac.abort();
      await env[Symbol.asyncDispose]();
      rmSync(workDir, { recursive: true, force: true });
      rmSync(runDir, { recursive: true, force: true });
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
