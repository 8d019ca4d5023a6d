// The kv service's operations script, as a team would have one. Each command exits 0 when it did
// what it says, and prints one line about it.
//
//   node kvctl.mjs maintenance SECONDS PORT...   put instances in maintenance (writes answer 503)
//   node kvctl.mjs ready PORT...                 end maintenance now
//   node kvctl.mjs backups DB DIR MS             every MS ms, copy DB to DIR/latest.db (runs until stopped)
//   node kvctl.mjs restore DIR DB                put back the rows of DIR/latest.db that DB lacks
//   node kvctl.mjs drop-table DB                 what a mistaken migration does: DROP TABLE kv
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const [command, ...args] = process.argv.slice(2);

function open(file) {
  const db = new Database(file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

async function post(port, path) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST' });
  const text = await res.text();
  if (!res.ok) throw new Error(`port ${port}: HTTP ${res.status} ${text}`);
  return text;
}

const hasTable = (db) =>
  db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'kv'").pluck().get() === 1;

/** One consistent copy (VACUUM INTO reads one snapshot), renamed into place so a reader never sees half. */
function backupOnce(dbFile, dir) {
  const db = open(dbFile);
  try {
    // A database without its table is not a backup worth keeping over the last good one.
    if (!hasTable(db)) return 'skipped: the database has no kv table';
    const tmp = join(dir, 'latest.db.tmp');
    rmSync(tmp, { force: true });
    db.prepare('VACUUM INTO ?').run(tmp);
    renameSync(tmp, join(dir, 'latest.db'));
    return 'ok';
  } finally {
    db.close();
  }
}

switch (command) {
  case 'maintenance': {
    const [seconds, ...ports] = args;
    for (const port of ports) console.log(await post(port, `/admin/maintenance?seconds=${seconds}`));
    break;
  }
  case 'ready':
    for (const port of args) console.log(await post(port, '/admin/ready'));
    break;
  case 'backups': {
    const [dbFile, dir, everyMs] = args;
    mkdirSync(dir, { recursive: true });
    console.log(`backup ${backupOnce(dbFile, dir)}`);
    setInterval(() => {
      const said = backupOnce(dbFile, dir);
      if (said !== 'ok') console.log(`backup ${said}`);
    }, Number(everyMs));
    break;
  }
  case 'restore': {
    const [dir, dbFile] = args;
    const backup = join(dir, 'latest.db');
    if (!existsSync(backup)) throw new Error(`no backup at ${backup}`);
    const db = open(dbFile);
    db.prepare('ATTACH DATABASE ? AS backup').run(backup);
    const restored = db.transaction(() => {
      db.exec(
        'CREATE TABLE IF NOT EXISTS kv (id TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at TEXT NOT NULL)',
      );
      return db.prepare('INSERT OR IGNORE INTO kv SELECT id, value, stored_at FROM backup.kv').run().changes;
    })();
    console.log(`restored ${restored} rows from ${backup}`);
    break;
  }
  case 'drop-table': {
    const db = open(args[0]);
    db.exec('DROP TABLE kv');
    console.log(`dropped table kv in ${args[0]}`);
    break;
  }
  default:
    console.error(
      'usage: kvctl.mjs maintenance|ready|backups|restore|drop-table ... (see the top of kvctl.mjs)',
    );
    process.exit(2);
}
