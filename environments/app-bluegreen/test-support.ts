// Test helpers: a minimal EnvironmentStartContext / RunContext without the runner, and the
// leak check every test of this environment ends with.
import { execFileSync } from 'node:child_process';
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
import { killMarked, markedProcesses } from '../../src/providers/local/run-registry.js';
import environment, { type AppBlueGreenOptions, appBlueGreenOptions } from './environment.js';

export const ENV_DIR = dirname(fileURLToPath(import.meta.url));

export interface TestStack extends AsyncDisposable {
  env: StartedEnvironment;
  ctx: RunContext;
  runId: string;
  events: RunEvent[];
  /** Processes still marked with this run's id (call after dispose). */
  leftovers(): number[];
}

export function testClock(): Clock {
  const t0 = performance.now();
  const wall0 = Date.now();
  return { now: () => performance.now() - t0, isoAt: (ms) => new Date(wall0 + ms).toISOString() };
}

export async function startBlueGreen(options: Partial<AppBlueGreenOptions> = {}): Promise<TestStack> {
  const runId = `test-bg-${randomBytes(4).toString('hex')}`;
  const workDir = mkdtempSync(join(tmpdir(), 'bg-work-'));
  const runDir = mkdtempSync(join(tmpdir(), 'bg-run-'));
  const clock = testClock();
  const events: RunEvent[] = [];
  const emit = (type: string, message: string, data?: Record<string, unknown>) => {
    events.push({ tMs: clock.now(), type, message, ...(data ? { data } : {}) });
  };
  const used = new Set<number>();
  const signal = new AbortController().signal;
  const startCtx: EnvironmentStartContext = {
    name: 'app-bluegreen',
    dir: ENV_DIR,
    runDir,
    workDir,
    runId,
    clock,
    signal,
    log: (m) => emit('log', m),
    emit,
    freePort: async () => {
      const p = await getPort({ host: '127.0.0.1', exclude: used });
      used.add(p);
      return p;
    },
  };
  const env = await environment.start(startCtx, appBlueGreenOptions.parse(options));
  const ctx: RunContext = { env, clock, signal, log: startCtx.log, emit, runDir };
  return {
    env,
    ctx,
    runId,
    events,
    leftovers: () => markedProcesses(runId).map((p) => p.pid),
    async [Symbol.asyncDispose]() {
      try {
        await env[Symbol.asyncDispose]();
      } finally {
        // Whatever teardown missed is reported by leftovers() before this sweep in the tests.
        rmSync(workDir, { recursive: true, force: true });
        rmSync(runDir, { recursive: true, force: true });
      }
    },
  };
}

/** Kill anything of this run still alive (so a failing test does not leak), return what was found. */
export async function sweep(runId: string): Promise<number[]> {
  return killMarked(runId);
}

/** HAProxy processes whose command line mentions this test's work dir. */
export function haproxyProcesses(): string[] {
  try {
    return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes('haproxy') && l.includes('bg-work-'));
  } catch {
    return [];
  }
}
