// The command kinds' tests share one started `kv` fixture environment (test/fixtures/environments/kv,
// durable mode) per test file, and one way to see which commands of the run are still running.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { RunContext, StartedEnvironment } from '../core/types.js';
import { markedProcesses } from '../providers/local/run-registry.js';
import { startEnvironment } from '../providers/start-environment.js';
import { PROJECT_ROOT } from '../scenario/load.js';
import { type TestContext, testContext } from './test-context.js';

export interface KvFixture {
  readonly ctx: TestContext;
  readonly env: StartedEnvironment;
  readonly run: RunContext;
  /** Command lines of the run's marked processes still alive, the kv server itself left out. */
  commandsLeft(): string[];
}

/** Starts the environment before the file's tests and disposes it after them. */
export function useKvFixture(): KvFixture {
  let ctx: TestContext | undefined;
  let env: StartedEnvironment | undefined;
  let run: RunContext | undefined;
  beforeAll(async () => {
    ctx = testContext('kv', join(PROJECT_ROOT, 'test/fixtures/environments/kv'));
    env = await startEnvironment(ctx, { mode: 'durable' }, 'test');
    run = ctx.runContext(env);
  });
  afterAll(async () => {
    await env?.[Symbol.asyncDispose]();
    ctx?.[Symbol.dispose]();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the kv fixture is used before its beforeAll ran');
    return v;
  };
  return {
    get ctx() {
      return started(ctx);
    },
    get env() {
      return started(env);
    },
    get run() {
      return started(run);
    },
    commandsLeft: () =>
      markedProcesses(started(ctx).runId)
        .map((m) => {
          try {
            return readFileSync(`/proc/${m.pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
          } catch {
            return '';
          }
        })
        .filter((c) => c !== '' && !c.includes('server.mjs')),
  };
}
