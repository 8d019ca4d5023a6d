import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lookupUser, ManagedProcess } from './managed-process.js';
import { markedProcesses, runLeftovers } from './run-registry.js';

const dir = mkdtempSync(join(tmpdir(), 'managed-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
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

  it('names the Debian package of a missing server binary', async () => {
    const p = new ManagedProcess({
      ...spec('redis-1', '', 'mp-missing-redis'),
      command: 'redis-server',
      env: { PATH: dir },
    });
    p.start();
    await p.exited;
    expect(p.spawnError?.message).toBe(
      'redis-1: "redis-server" was not found: install the Debian package redis-server (apt-get install redis-server)',
    );
  });

  it('finds a process that rewrote its environment (as Redis does) through the spawn record', async () => {
    // exec -a and a cleared environment leave no marker in /proc/<pid>/environ.
    const p = new ManagedProcess({
      ...spec('rewrites', 'exec env -i sleep 30', 'mp-rewrites'),
    });
    p.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(markedProcesses('mp-rewrites')).toEqual([]);
    expect(runLeftovers('mp-rewrites')).toEqual([p.pid]);
    await p.stop(1000);
    expect(runLeftovers('mp-rewrites')).toEqual([]);
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

describe('lookupUser', () => {
  it('reads the passwd file itself, without id or getent on PATH', () => {
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/bash\npgtest:x:1234:5678::/home/pgtest:/bin/sh\n');
    const path = process.env.PATH;
    process.env.PATH = dir;
    try {
      expect(lookupUser('pgtest', passwd)).toEqual({ uid: 1234, gid: 5678 });
      expect(() => lookupUser('nobody-here', passwd)).toThrow(
        `user "nobody-here" is needed to run a server as non-root, but it is not in ${passwd} ` +
          'and `getent` is not on PATH to ask NSS (LDAP, ...)',
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
