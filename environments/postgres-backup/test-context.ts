// Minimal contexts for this environment's tests (and those of its injector and action).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { incidentFrom } from '../../src/core/incident.js';
import type { Incident, RunContext, RunEvent, StartedEnvironment } from '../../src/core/types.js';
import { testContext } from '../../src/testing/test-context.js';
import environment, { type PostgresBackupOptions, postgresBackupOptions } from './environment.js';

export interface TestStack extends AsyncDisposable {
  env: StartedEnvironment;
  ctx: RunContext;
  events: RunEvent[];
  runId: string;
  runDir: string;
  workDir: string;
  incident(injectStartMs?: number): Incident;
}

export async function startTestStack(
  options: Partial<Record<keyof PostgresBackupOptions, unknown>> = {},
): Promise<TestStack> {
  const tc = testContext('postgres-backup', dirname(fileURLToPath(import.meta.url)));
  try {
    const env = await environment.start(tc, postgresBackupOptions.parse(options));
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
  } catch (err) {
    tc[Symbol.dispose]();
    throw err;
  }
}
