// The command recovery action with real processes: the script's duration and output become the
// recovery step, a failing script is RECOVERY_FAILED with its output, an interrupted one is killed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock } from '../core/clock.js';
import type { Incident, RunContext, StartedEnvironment } from '../core/types.js';
import { hostCommands } from '../providers/local/host-commands.js';
import { markedProcesses } from '../providers/local/run-registry.js';
import { commandAction } from './command.js';

let root: string;
let run: RunContext;
const runId = `command-action-test-${process.pid}`;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'command-action-test-'));
  // No service is needed: an environment with none, and the real host command runner.
  const env: StartedEnvironment = {
    name: 'none',
    runDir: root,
    workDir: root,
    services: new Map(),
    info: {},
    extensions: undefined as never,
    async resolve() {
      throw new Error('no services');
    },
    async [Symbol.asyncDispose]() {},
  };
  run = {
    env,
    clock: createClock(),
    signal: new AbortController().signal,
    log: () => {},
    emit: () => {},
    runDir: root,
    commands: hostCommands({ runId, defaultCwd: () => root }),
  };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const incident: Incident = { fault: undefined, injectStartMs: 0, detection: () => undefined };
const params = (p: Record<string, unknown>) => commandAction.params.parse(p);

describe('command recovery action', () => {
  it('is one recovery step lasting as long as the script, with its output', async () => {
    const r = await commandAction.run(
      run,
      params({ name: 'restore', run: ['sleep 0.3; echo restored from backup-7'], shell: true }),
      incident,
    );
    expect(r.steps).toHaveLength(1);
    const step = r.steps[0]!;
    expect(step.name).toBe('restore');
    expect(step.endMs - step.startMs).toBeGreaterThanOrEqual(300);
    expect(step.endMs - step.startMs).toBeLessThan(2000);
    expect(step.detail).toBe('exit 0: restored from backup-7');
    expect(readFileSync(r.details?.output as string, 'utf8')).toBe('restored from backup-7\n');
  });

  it('fails the recovery with the exit code and the output when the script fails', async () => {
    await expect(
      commandAction.run(
        run,
        params({ run: ['sh', '-c', 'echo no backup newer than 2h >&2; exit 4'] }),
        incident,
      ),
    ).rejects.toMatchObject({
      code: 'RECOVERY_FAILED',
      message: expect.stringMatching(
        /`sh -c .*` exit 4 after \d+ ms; output \(.*recovery-command-\d+\.log\): no backup newer than 2h$/,
      ),
    });
  });

  it('kills the script when the run is interrupted', async () => {
    const ac = new AbortController();
    const running = commandAction.run(
      { ...run, signal: ac.signal },
      params({ run: ['sleep', '30'] }),
      incident,
    );
    await sleep(200);
    expect(markedProcesses(runId)).toHaveLength(1);
    ac.abort(new Error('interrupted'));
    await expect(running).rejects.toThrow('interrupted');
    expect(markedProcesses(runId)).toEqual([]);
  });
});
