import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManagedProcess } from './managed-process.js';
import { markedProcesses } from './run-registry.js';

const dir = mkdtempSync(join(tmpdir(), 'managed-process-'));
const spec = (name: string, script: string, runId: string) => ({
  name,
  command: 'bash',
  args: ['-c', script],
  logFile: join(dir, `${name}.log`),
  runId,
});

describe('ManagedProcess', () => {
  it('kills the whole process group, children included', async () => {
    const p = new ManagedProcess(spec('group', 'sleep 30 & sleep 30 & wait', 'mp-group'));
    p.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(markedProcesses('mp-group').length).toBe(3);
    const exit = await p.kill('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    expect(markedProcesses('mp-group')).toEqual([]);
  });

  it('escalates to SIGKILL when SIGTERM is ignored for longer than the grace period', async () => {
    const p = new ManagedProcess(
      spec('stubborn', "trap '' TERM; echo started; sleep 30 & wait", 'mp-stubborn'),
    );
    p.start();
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    const exit = await p.stop(300);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(exit.signal).toBe('SIGKILL');
    expect(readFileSync(p.spec.logFile, 'utf8')).toContain('started');
  });

  it('names the missing binary', async () => {
    const p = new ManagedProcess({ ...spec('missing', '', 'mp-missing'), command: '/nonexistent/server' });
    p.start();
    await p.exited;
    expect(p.spawnError?.message).toMatch(/"\/nonexistent\/server" was not found/);
  });

  it('pauses and resumes the group', async () => {
    const p = new ManagedProcess(spec('pause', 'sleep 30', 'mp-pause'));
    p.start();
    await new Promise((r) => setTimeout(r, 100));
    const state = () => readFileSync(`/proc/${p.pid}/stat`, 'utf8').split(') ')[1]?.[0];
    expect(p.pause()).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(state()).toBe('T');
    p.resume();
    await new Promise((r) => setTimeout(r, 50));
    expect(state()).toBe('S');
    await p.stop(1000);
  });
});
