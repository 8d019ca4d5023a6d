// Test support for environment authors (also used by the built-in environments' tests).
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { createClock } from '../core/clock.js';
import type { RunContext, RunEvent, StartedEnvironment } from '../core/types.js';
import { hostCommands } from '../providers/local/host-commands.js';
import type { EnvironmentStartContext } from '../providers/provider.js';

export interface TestContext extends EnvironmentStartContext, Disposable {
  events: RunEvent[];
  runContext(env: StartedEnvironment): RunContext;
}

/**
 * A start context and run context for tests that start an environment module without the
 * runner: temporary run and work dirs (removed on dispose), free ports, events collected.
 * `dir` is the environment's folder (for files it ships).
 */
export function testContext(name: string, dir: string): TestContext {
  const clock = createClock();
  const root = mkdtempSync(join(tmpdir(), `${name}-test-`));
  const workDir = mkdtempSync(join(root, 'work-'));
  // Like the runner's work dir: postgres (not root) must be able to reach its data directory.
  chmodSync(root, 0o755);
  chmodSync(workDir, 0o755);
  const used = new Set<number>();
  const events: RunEvent[] = [];
  const ac = new AbortController();
  const emit = (type: string, message: string, data?: Record<string, unknown>) => {
    events.push({ tMs: clock.now(), type, message, ...(data ? { data } : {}) });
  };
  const ctx: TestContext = {
    provider: 'local',
    name,
    dir,
    runDir: mkdtempSync(join(root, 'run-')),
    workDir,
    runId: `test-${randomBytes(4).toString('hex')}`,
    clock,
    signal: ac.signal,
    log: () => {},
    emit,
    events,
    async freePort() {
      for (;;) {
        const p = await getPort({ host: '127.0.0.1' });
        if (!used.has(p)) {
          used.add(p);
          return p;
        }
      }
    },
    runContext: (env) => ({
      env,
      clock,
      signal: ac.signal,
      log: () => {},
      emit,
      runDir: ctx.runDir,
      commands: hostCommands({ runId: ctx.runId, defaultCwd: () => dir }),
    }),
    [Symbol.dispose]() {
      ac.abort();
      rmSync(root, { recursive: true, force: true });
    },
  };
  return ctx;
}
