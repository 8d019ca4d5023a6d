// Test helpers: a minimal EnvironmentStartContext / RunContext without the runner, and the
// leak check every test of this environment ends with.
import { execFileSync } from 'node:child_process';
import type { RunContext, RunEvent, StartedEnvironment } from '../../src/core/types.js';
import { killMarked, markedProcesses } from '../../src/providers/local/run-registry.js';
import { testContext } from '../../src/testing/test-context.js';
import environment, { type AppBlueGreenOptions, appBlueGreenOptions } from './environment.js';

export const ENV_DIR = import.meta.dirname;

export interface TestStack extends AsyncDisposable {
  env: StartedEnvironment;
  ctx: RunContext;
  runId: string;
  /** This stack's work directory: its HAProxy's config lives there. */
  workDir: string;
  events: RunEvent[];
  /** Processes still marked with this run's id (call after dispose). */
  leftovers(): number[];
}

export async function startBlueGreen(options: Partial<AppBlueGreenOptions> = {}): Promise<TestStack> {
  const tc = testContext('app-bluegreen', ENV_DIR);
  const env = await environment.start(tc, appBlueGreenOptions.parse(options));
  return {
    env,
    ctx: tc.runContext(env),
    runId: tc.runId,
    workDir: tc.workDir,
    events: tc.events,
    leftovers: () => markedProcesses(tc.runId).map((p) => p.pid),
    async [Symbol.asyncDispose]() {
      try {
        await env[Symbol.asyncDispose]();
      } finally {
        // Whatever teardown missed is reported by leftovers() before this sweep in the tests.
        tc[Symbol.dispose]();
      }
    },
  };
}

/** Kill anything of this run still alive (so a failing test does not leak), return what was found. */
export async function sweep(runId: string): Promise<number[]> {
  return killMarked(runId);
}

/**
 * HAProxy processes whose command line mentions `workDir` (this test's: two test files run
 * HAProxy at the same time, and another's must not count as this one's leak).
 */
export function haproxyProcesses(workDir: string): string[] {
  try {
    return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('haproxy') && l.includes(workDir));
  } catch {
    return [];
  }
}
