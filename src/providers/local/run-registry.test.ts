import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../testing/wait.js';
import { ManagedProcess } from './managed-process.js';
import { procStat } from './process-tree.js';
import { killMarked, killRun, runLeftovers, runProcesses } from './run-registry.js';

const dir = mkdtempSync(join(tmpdir(), 'run-registry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the processes of a run', () => {
  it('never include a recorded pid that now belongs to another process, nor its group', async () => {
    // Not ours: started outside any run, no marker. A record naming its pid with other start
    // ticks is what a reused pid looks like.
    const stranger = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env: {} });
    try {
      const pid = stranger.pid as number;
      await waitFor('the stranger to run', () => procStat(pid) !== undefined, 2000);
      const ticks = procStat(pid)?.startTicks as string;
      const reused = [{ pid, startTicks: String(Number(ticks) - 1000), pgid: pid, name: 'old' }];
      expect([...runProcesses('rr-reused', reused)]).toEqual([]);
      const { killed } = await killRun('rr-reused', reused, 500);
      expect(killed).toEqual([]);
      expect(procStat(pid)?.startTicks).toBe(ticks);
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  it('include a member of a recorded group whose leader exited and that cleared its environment', async () => {
    const p = new ManagedProcess({
      name: 'orphaning',
      command: 'bash',
      args: ['-c', 'env -i sleep 30 & echo $!; exit 0'],
      logFile: join(dir, 'orphaning.log'),
      runId: 'rr-orphan',
    });
    p.start();
    const leader = p.pid as number;
    await p.exited;
    const left = await waitFor(
      'the orphan of the exited leader',
      () => (runLeftovers('rr-orphan').length > 0 ? runLeftovers('rr-orphan') : undefined),
      2000,
    );
    expect(left).toHaveLength(1);
    const orphan = left[0] as number;
    expect(procStat(orphan)?.pgid).toBe(leader);
    expect(await killMarked('rr-orphan')).toEqual([orphan]);
    expect(runLeftovers('rr-orphan')).toEqual([]);
  });
});
