import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanupStaleRuns, markedProcesses } from '../src/providers/local/run-registry.js';
import { PROJECT_ROOT } from '../src/scenario/load.js';
import { waitFor } from '../src/testing/wait.js';

const SCENARIO = join(PROJECT_ROOT, 'test/fixtures/scenarios/long-pause.yaml');
let stateDir: string;
let outDir: string;

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'lifecycle-state-'));
  outDir = mkdtempSync(join(tmpdir(), 'lifecycle-out-'));
  process.env.CHAOS_HARNESS_STATE_DIR = stateDir;
});
afterEach(() => {
  delete process.env.CHAOS_HARNESS_STATE_DIR;
});

function startCli(runId: string): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'run', SCENARIO, '--out', outDir], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CHAOS_HARNESS_RUN_ID: runId, CHAOS_HARNESS_STATE_DIR: stateDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe('a run interrupted in the middle of a fault', () => {
  it('tears everything down on SIGINT, writes an ERROR report and exits 2', async () => {
    const runId = 'lifecycle-sigint';
    const cli = startCli(runId);
    await waitFor('the fault to be injected', () => /inject: paused api/.test(cli.output()), 30_000);
    // The service is frozen (SIGSTOP) right now: teardown must still get rid of it.
    expect(markedProcesses(runId).length).toBeGreaterThan(0);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(2);
    expect(markedProcesses(runId)).toEqual([]);
    const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8'));
    expect(report.verdict).toBe('error');
    expect(report.error.code).toBe('INTERRUPTED');
    expect(readdirSync(stateDir)).toEqual([]);
    expect(cli.output()).not.toMatch(/^\s+at /m);
  });

  it('tears everything down on SIGTERM too', async () => {
    const runId = 'lifecycle-sigterm';
    const cli = startCli(runId);
    await waitFor('the fault to be injected', () => /inject: paused api/.test(cli.output()), 30_000);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(2);
    expect(markedProcesses(runId)).toEqual([]);
  });

  it('leaves a record after SIGKILL that the next run uses to kill what was left and remove its dirs', async () => {
    const runId = 'lifecycle-sigkill';
    const cli = startCli(runId);
    await waitFor('the fault to be injected', () => /inject: paused api/.test(cli.output()), 30_000);
    cli.child.kill('SIGKILL');
    await cli.exited;
    // The harness could not clean up: its service is still there, and so is the record.
    expect(markedProcesses(runId).length).toBeGreaterThan(0);
    const record = JSON.parse(readFileSync(join(stateDir, `${runId}.json`), 'utf8'));
    expect(record.dirs.length).toBeGreaterThan(0);
    expect(existsSync(record.dirs[0])).toBe(true);

    const cleaned = await cleanupStaleRuns();
    expect(cleaned.map((c) => c.runId)).toEqual([runId]);
    expect(markedProcesses(runId)).toEqual([]);
    expect(existsSync(record.dirs[0])).toBe(false);
    expect(readdirSync(stateDir)).toEqual([]);
  });
});
