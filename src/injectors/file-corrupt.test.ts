import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataFile } from '../core/data-files.js';
import { checkSqliteFile } from '../probes/sqlite-integrity.js';
import { localDataFiles } from '../providers/local/local-data-files.js';
import { corruptFile, fileCorruptParams } from './file-corrupt.js';

let dir: string;
let file: string;
/** The same file through the data-file API, as the injector reaches it. */
let db: DataFile;

/** A 1.3 MB WAL database, checkpointed and closed unless `keepOpen`. */
function makeDb(keepOpen = false): Database.Database | undefined {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('create table t (seq integer primary key, id text not null unique, v text)');
  const ins = db.prepare('insert into t (id, v) values (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < 10_000; i++) ins.run(`id-${i}-${(i * 7919) % 10007}`, 'x'.repeat(40));
  })();
  if (keepOpen) return db;
  db.close();
  return undefined;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'file-corrupt-'));
  file = join(dir, 'a.db');
  db = localDataFiles('svc', { db: file }).get('db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('file-corrupt', () => {
  it('pages: damages whole pages that integrity_check then reports', async () => {
    makeDb();
    expect(checkSqliteFile(file)).toEqual({ ok: true });
    const d = await corruptFile(db, fileCorruptParams.parse({ mode: 'pages', seed: 42, pages: 3 }));
    expect(d.writes).toHaveLength(3);
    expect(d.pageSize).toBe(4096);
    for (const w of d.writes) expect(w.bytes).toBe(4096);
    expect(d.sizeAfter).toBe(d.sizeBefore);
    expect(checkSqliteFile(file).ok).toBe(false);
  });

  it('pages: the same seed damages the same offsets', async () => {
    makeDb();
    const a = await corruptFile(db, fileCorruptParams.parse({ mode: 'pages', seed: 7, pages: 5, bytes: 64 }));
    const b = await corruptFile(db, fileCorruptParams.parse({ mode: 'pages', seed: 7, pages: 5, bytes: 64 }));
    expect(b.writes).toEqual(a.writes);
    expect(a.writes.every((w) => w.bytes === 64)).toBe(true);
  });

  it('header: makes the file unopenable (SQLITE_NOTADB)', async () => {
    makeDb();
    const d = await corruptFile(db, fileCorruptParams.parse({ mode: 'header', seed: 1 }));
    expect(d.writes).toEqual([{ offset: 0, bytes: 100 }]);
    const res = checkSqliteFile(file);
    expect(res.ok).toBe(false);
    expect(!res.ok && res.error).toMatch(/NOTADB|not a database/);
  });

  it('truncate: cuts half the file by default', async () => {
    makeDb();
    const d = await corruptFile(db, fileCorruptParams.parse({ mode: 'truncate' }));
    expect(d.sizeAfter).toBe(d.sizeBefore - Math.ceil(d.sizeBefore / 2));
    expect(checkSqliteFile(file).ok).toBe(false);
  });

  it('delete-wal: removes the WAL under an open writer; fresh readers then fail', async () => {
    const conn = makeDb(true)!;
    conn.pragma('wal_autocheckpoint = 0');
    // Committed, still only in the WAL.
    conn.prepare('insert into t (id, v) values (?, ?)').run('late', 'y');
    expect(existsSync(`${file}-wal`)).toBe(true);
    const d = await corruptFile(db, fileCorruptParams.parse({ mode: 'delete-wal' }));
    expect(d.deleted).toEqual([`${file}-wal`, `${file}-shm`]);
    expect(d.walBytes).toBeGreaterThan(0);
    // The writer keeps the unlinked WAL open and still works; a new connection finds the
    // WAL index pointing at frames that no longer exist.
    expect(conn.prepare("select count(*) as n from t where id = 'late'").get()).toEqual({ n: 1 });
    const res = checkSqliteFile(file);
    expect(res.ok).toBe(false);
    conn.close();
  });

  it('delete-wal: refuses a database that has no WAL, rather than do nothing', async () => {
    makeDb(); // closed: the WAL was checkpointed and removed
    await expect(corruptFile(db, fileCorruptParams.parse({ mode: 'delete-wal' }))).rejects.toThrow(
      /a\.db-wal does not exist \(the database is not in WAL mode, or no connection has it open\)/,
    );
  });

  it('rejects unknown modes and fields', async () => {
    expect(fileCorruptParams.safeParse({ mode: 'shred' }).success).toBe(false);
    expect(fileCorruptParams.safeParse({ mode: 'pages', page: 3 }).success).toBe(false);
  });
});
