// The host command runner against real processes: output, exit codes, timeouts, abort, and nothing
// left running afterwards, not even after a SIGKILL of the harness that started the command.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostCommand } from '../../core/types.js';
import { hostCommands } from './host-commands.js';
import { cleanupStaleRuns, killMarked, markedProcesses } from './run-registry.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'host-commands-test-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const runId = 'host-commands-test';
const runner = hostCommands({ runId, defaultCwd: () => root });
const cmd = (argv: string[], extra: Partial<HostCommand> = {}): HostCommand => ({
  name: 'test command',
  argv,
  timeoutMs: 5000,
  ...extra,
});
const never = new AbortController().signal;

async function noneLeft(id = runId): Promise<void> {
  // The group kill is sent as the command ends; /proc may show the victims a moment longer.
  const deadline = performance.now() + 2000;
  while (markedProcesses(id).length > 0 && performance.now() < deadline) await sleep(20);
  expect(markedProcesses(id)).toEqual([]);
}

describe('hostCommands', () => {
  it('returns the exit code and the tail of stdout and stderr, also appended to the output file', async () => {
    const outputFile = join(root, 'out.log');
    const r = await runner.run(
      cmd(['node', '-e', 'console.log("to stdout"); console.error("to stderr"); process.exit(3)'], {
        outputFile,
      }),
      never,
    );
    expect(r).toMatchObject({ exitCode: 3, signal: null, timedOut: false });
    expect(r.tail).toContain('to stdout');
    expect(r.tail).toContain('to stderr');
    expect(readFileSync(outputFile, 'utf8')).toContain('to stderr');
    await noneLeft();
  });

  it('keeps only the last tailBytes of the output', async () => {
    const r = await runner.run(
      cmd(['node', '-e', 'process.stdout.write("x".repeat(100000) + "END")'], { tailBytes: 64 }),
      never,
    );
    expect(r.exitCode).toBe(0);
    expect(r.tail).toHaveLength(64);
    expect(r.tail.endsWith('END')).toBe(true);
  });

  it('runs in the default working directory, and a script with shell: true', async () => {
    const r = await runner.run(cmd(['pwd && echo "$0" | grep -c sh'], { shell: true }), never);
    expect(r.exitCode).toBe(0);
    expect(r.tail).toContain(root);
  });

  it('runs a relative cwd from the default working directory, and names one that does not exist', async () => {
    mkdirSync(join(root, 'sub'), { recursive: true });
    const r = await runner.run(cmd(['pwd'], { cwd: 'sub' }), never);
    expect(r.tail.trim()).toBe(join(root, 'sub'));
    await expect(runner.run(cmd(['pwd'], { cwd: 'no-such-dir' }), never)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: `test command: its cwd ${join(root, 'no-such-dir')} does not exist`,
    });
  });

  it('stops a command at its timeout (SIGTERM, then SIGKILL after the grace period)', async () => {
    const t0 = performance.now();
    const r = await runner.run(
      cmd(['node', '-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], {
        timeoutMs: 300,
        killGraceMs: 200,
      }),
      never,
    );
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(performance.now() - t0).toBeLessThan(3000);
    await noneLeft();
  });

  it('kills what a command left running in its process group when it exits', async () => {
    const r = await runner.run(cmd(['sleep 30 & echo started'], { shell: true }), never);
    expect(r.exitCode).toBe(0);
    await noneLeft();
  });

  it('on abort kills the whole group and rejects with the reason', async () => {
    const ac = new AbortController();
    const running = runner.run(cmd(['sleep 30 & sleep 30'], { shell: true, timeoutMs: 60_000 }), ac.signal);
    await sleep(300);
    expect(markedProcesses(runId).length).toBeGreaterThanOrEqual(2);
    ac.abort(new Error('interrupted by the test'));
    await expect(running).rejects.toThrow('interrupted by the test');
    await noneLeft();
  });

  it('names a program that does not exist', async () => {
    await expect(runner.run(cmd(['no-such-program-xyz']), never)).rejects.toMatchObject({
      code: 'BINARY_MISSING',
      message: expect.stringContaining('"no-such-program-xyz" was not found'),
    });
  });

  it('rejects an empty argv', async () => {
    await expect(runner.run(cmd([]), never)).rejects.toThrow(/empty/);
  });

  it('leaves a command of a SIGKILLed harness to the next run’s sweep', async () => {
    const stateDir = join(root, 'state');
    const id = `host-commands-sigkill-${process.pid}`;
    const script = [
      `import { RunRegistry } from ${JSON.stringify(new URL('./run-registry.ts', import.meta.url).pathname)};`,
      `import { hostCommands } from ${JSON.stringify(new URL('./host-commands.ts', import.meta.url).pathname)};`,
      `new RunRegistry(${JSON.stringify(id)});`,
      `const r = hostCommands({ runId: ${JSON.stringify(id)}, defaultCwd: () => undefined });`,
      `void r.run({ name: 'long', argv: ['sleep', '60'], timeoutMs: 60000 }, new AbortController().signal);`,
      `setInterval(() => {}, 1000);`,
    ].join('\n');
    const harness = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, CHAOS_HARNESS_STATE_DIR: stateDir },
      stdio: 'ignore',
    });
    let prevStateDir: string | undefined;
    try {
      const deadline = performance.now() + 15_000;
      while (markedProcesses(id).length === 0 && performance.now() < deadline) await sleep(50);
      expect(markedProcesses(id)).toHaveLength(1);
      harness.kill('SIGKILL');
      await new Promise((resolve) => harness.once('exit', resolve));
      // The orphaned command lives on until a sweep.
      expect(markedProcesses(id)).toHaveLength(1);
      prevStateDir = process.env.CHAOS_HARNESS_STATE_DIR;
      process.env.CHAOS_HARNESS_STATE_DIR = stateDir;
      const cleaned = await cleanupStaleRuns();
      expect(cleaned.map((c) => c.runId)).toEqual([id]);
      expect(cleaned[0]?.killed).toHaveLength(1);
      await noneLeft(id);
    } finally {
      if (prevStateDir === undefined) delete process.env.CHAOS_HARNESS_STATE_DIR;
      else process.env.CHAOS_HARNESS_STATE_DIR = prevStateDir;
      harness.kill('SIGKILL');
      await killMarked(id);
    }
  });
});
