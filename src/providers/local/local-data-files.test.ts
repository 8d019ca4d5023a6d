import {
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataFilesOf } from '../../core/data-files.js';
import { localDataFiles } from './local-data-files.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'local-data-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('localDataFiles', () => {
  it('names the service, the key and the keys it has for an unknown key', () => {
    const files = localDataFiles('api', { db: join(dir, 'a.db'), conf: join(dir, 'a.conf') });
    expect(files.keys()).toEqual(['conf', 'db']);
    expect(() => files.get('dbx')).toThrow('service api has no data file "dbx": it has "conf", "db"');
    expect(() => dataFilesOf({ name: 'web' }).get('db')).toThrow(
      'service web has no data file "db": it declares no data files',
    );
  });

  it('stats, reads a range, and says when a file does not exist', async () => {
    writeFileSync(join(dir, 'a.db'), Buffer.from('0123456789'));
    const f = localDataFiles('api', { db: join(dir, 'a.db') }).get('db');
    expect(f.name).toBe('api:db');
    expect(f.location).toBe(join(dir, 'a.db'));
    expect(await f.stat()).toEqual({ size: 10 });
    expect((await f.read(3, 4)).toString()).toBe('3456');
    expect((await f.read(8, 100)).toString()).toBe('89');
    const wal = f.sidecar('-wal');
    expect(wal.location).toBe(join(dir, 'a.db-wal'));
    expect(await wal.stat()).toBeUndefined();
    await expect(wal.read(0, 1)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    await expect(wal.edit([{ truncateTo: 0 }])).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    expect(() => f.sidecar('/../x')).toThrow(/must be non-empty, without "\/"/);
  });

  it('edits in place: a descriptor opened before sees the writes and the truncation', async () => {
    const path = join(dir, 'a.db');
    writeFileSync(path, Buffer.alloc(16, 0x61));
    const inode = statSync(path).ino;
    const fd = openSync(path, 'r');
    const f = localDataFiles('api', { db: path }).get('db');
    await f.edit([
      { at: 2, write: Buffer.from('XY') },
      { at: 10, write: Buffer.from('Z') },
      { truncateTo: 12 },
    ]);
    const seen = Buffer.alloc(16);
    const n = readSync(fd, seen, 0, 16, 0);
    expect(seen.subarray(0, n).toString()).toBe('aaXYaaaaaaZa');
    expect(statSync(path).ino).toBe(inode);
  });

  it('removes a file and its sidecar, false when there is none', async () => {
    writeFileSync(join(dir, 'a.db'), 'x');
    writeFileSync(join(dir, 'a.db-wal'), 'w');
    const f = localDataFiles('api', { db: join(dir, 'a.db') }).get('db');
    expect(await f.sidecar('-wal').remove()).toBe(true);
    expect(await f.sidecar('-wal').remove()).toBe(false);
    expect(readdirSync(dir)).toEqual(['a.db']);
  });

  it('replaces from bytes and from a local file by a rename, keeping the mode, leaving no temporary', async () => {
    const path = join(dir, 'a.db');
    writeFileSync(path, 'old', { mode: 0o640 });
    const fd = openSync(path, 'r');
    const f = localDataFiles('api', { db: path }).get('db');
    await f.replace(Buffer.from('new bytes'));
    expect(readFileSync(path, 'utf8')).toBe('new bytes');
    expect(statSync(path).mode & 0o777).toBe(0o640);
    // The old file lives on for whoever held it open: a rename, not a write over it.
    const old = Buffer.alloc(3);
    readSync(fd, old, 0, 3, 0);
    expect(old.toString()).toBe('old');
    const src = join(dir, 'backup');
    writeFileSync(src, 'from a file');
    await f.replace({ localFile: src });
    expect(readFileSync(path, 'utf8')).toBe('from a file');
    expect(readdirSync(dir).sort()).toEqual(['a.db', 'backup']);
    // A file that did not exist yet is created.
    await f.sidecar('.new').replace(Buffer.from('n'));
    expect(readFileSync(`${path}.new`, 'utf8')).toBe('n');
  });

  it('opens the file itself locally (no copy)', async () => {
    const path = join(dir, 'a.db');
    writeFileSync(path, 'x');
    await using local = await localDataFiles('api', { db: path })
      .get('db')
      .openLocal({ with: ['-wal'] });
    expect(local).toMatchObject({ path, copied: false });
  });
});
