// Data files through the engine, against a real container whose files are on a volume of its own
// and in its own file system: nothing is bind-mounted, so no host path could reach them.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../../testing/containers.js';
import { containerDataFiles } from './container-data-files.js';
import type { ManagedContainer } from './managed-container.js';
import { ContainerRuntime } from './runtime.js';

const IMAGE = 'chaos-harness/node:latest';
const { docker, skip } = await engineForTests('container data files test', [IMAGE]);
const logDir = mkdtempSync(join(tmpdir(), 'container-data-files-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

async function sh(c: ManagedContainer, script: string): Promise<string> {
  const r = await c.exec(['sh', '-c', script]);
  expect(r.exitCode).toBe(0);
  return r.output.trim();
}

describe.skipIf(skip !== undefined)('containerDataFiles', () => {
  it('reads, edits in place, replaces, copies out and removes files of a running and a stopped container', async () => {
    const runId = `test-df-${process.pid}-${Date.now().toString(36)}`;
    let volume = '';
    {
      await using rt = await ContainerRuntime.open(runId);
      const c = rt.container({
        name: 'files',
        image: IMAGE,
        cmd: ['sleep', '600'],
        ports: [],
        volumes: ['/data'],
        logFile: join(logDir, 'files.log'),
      });
      await c.start();
      const inspect = await c.engine()!.container.inspect();
      expect(inspect.HostConfig.Binds ?? []).toEqual([]);
      volume = inspect.Mounts.find((m) => m.Destination === '/data')?.Name ?? '';
      expect(volume).not.toBe('');
      const files = containerDataFiles('svc', c, { db: '/data/a.db', own: '/srv/own.db' });
      expect(() => files.get('x')).toThrow('service svc has no data file "x": it has "db", "own"');
      const db = files.get('db');
      const own = files.get('own');
      expect(db.location).toBe(`chaos-harness-${runId}-files:/data/a.db`);

      // Running: commands in the container.
      expect(await db.stat()).toBeUndefined();
      await expect(db.read(0, 4)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
      await expect(db.edit([{ truncateTo: 1 }])).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
      await db.replace(Buffer.from('0123456789'));
      await sh(c, 'mkdir -p /srv');
      await own.replace(Buffer.from('own file'));
      expect(await db.stat()).toEqual({ size: 10 });
      expect((await db.read(2, 5)).toString()).toBe('23456');
      await sh(c, 'chown 1000:1000 /data/a.db && chmod 640 /data/a.db');
      const inode = await sh(c, 'stat -c %i /data/a.db');
      await db.edit([
        { at: 1, write: Buffer.from('AB') },
        { truncateTo: 8 },
        { at: 7, write: Buffer.from('Z') },
      ]);
      expect(await sh(c, 'cat /data/a.db')).toBe('0AB3456Z');
      expect(await sh(c, 'stat -c %i /data/a.db')).toBe(inode);
      await db.replace(Buffer.from('replaced'));
      expect(await sh(c, "cat /data/a.db; echo; stat -c '%u %g %a' /data/a.db")).toBe(
        'replaced\n1000 1000 640',
      );
      expect(await sh(c, 'ls -a /data')).toBe('.\n..\na.db');
      await db.sidecar('-wal').replace(Buffer.from('wal'));
      let copyDir = '';
      {
        await using local = await db.openLocal({ with: ['-wal', '-shm'], stableHeaderBytes: 32 });
        expect(local.copied).toBe(true);
        expect(readFileSync(local.path, 'utf8')).toBe('replaced');
        expect(readFileSync(`${local.path}-wal`, 'utf8')).toBe('wal');
        expect(existsSync(`${local.path}-shm`)).toBe(false);
        expect(dirname(local.path)).not.toBe(tmpdir());
        copyDir = dirname(local.path);
      }
      expect(existsSync(copyDir)).toBe(false);
      expect(await db.sidecar('-wal').remove()).toBe(true);
      expect(await db.sidecar('-wal').remove()).toBe(false);

      // Stopped: the archive API, and a helper beside it to delete from the volume.
      await db.sidecar('-wal').replace(Buffer.from('wal again'));
      await c.stop(0);
      expect(c.running).toBe(false);
      expect(await db.stat()).toEqual({ size: 8 });
      expect((await db.read(0, 3)).toString()).toBe('rep');
      await db.edit([{ at: 0, write: Buffer.from('R') }, { truncateTo: 4 }]);
      {
        await using local = await db.openLocal({ with: ['-wal'] });
        expect(readFileSync(local.path, 'utf8')).toBe('Repl');
        expect(readFileSync(`${local.path}-wal`, 'utf8')).toBe('wal again');
      }
      expect(await db.sidecar('-wal').remove()).toBe(true);
      expect(await db.sidecar('-wal').stat()).toBeUndefined();
      expect(await db.sidecar('-shm').remove()).toBe(false);
      await db.replace(Buffer.from('while stopped'));
      await expect(own.remove()).rejects.toThrow(/own file system.*put data files on a volume/);
      // The helper containers are gone; only the service's container carries the run's label.
      expect((await runLeftovers(docker!, runId)).containers).toEqual([`/chaos-harness-${runId}-files`]);

      await c.start();
      expect(await sh(c, "cat /data/a.db; echo; stat -c '%u %g %a' /data/a.db; ls /data")).toBe(
        'while stopped\n1000 1000 640\na.db',
      );
      expect(await own.remove()).toBe(true);
    }
    expect(await runLeftovers(docker!, runId)).toEqual(NOTHING_LEFT);
    await expect(docker!.getVolume(volume).inspect()).rejects.toMatchObject({ statusCode: 404 });
  }, 60_000);
});
