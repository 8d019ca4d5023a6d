// A small key-value service over HTTP that keeps its data in SQLite: the kind of service the
// tutorial (docs/your-own-service.md) tests. Several instances can share one database file (WAL).
//
//   node server.mjs --port N --db FILE [--mode durable|ack-first] [--flush-ms N] [--name kv1]
//
//   PUT /kv/<id>   store the request body under <id>   GET /kv/<id>   200 with the body, or 404
//   GET /kv        JSON array of the stored ids        GET /health    200, or 503 in maintenance
//   POST /admin/maintenance?seconds=N   refuse writes (503) for N seconds; POST /admin/ready ends it
//
// --mode durable (the default) commits every write (fsync'd: synchronous=FULL) before it answers.
// --mode ack-first is the bug the negative example catches: it answers 200 at once, keeps the write
// in memory and commits what it holds every --flush-ms, so a crash loses what it acknowledged since.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

const { values: opt } = parseArgs({
  options: {
    port: { type: 'string' },
    db: { type: 'string' },
    mode: { type: 'string', default: 'durable' },
    'flush-ms': { type: 'string', default: '1000' },
    name: { type: 'string', default: 'kv' },
  },
});
if (!opt.port || !opt.db || !['durable', 'ack-first'].includes(opt.mode)) {
  console.error(
    'usage: server.mjs --port N --db FILE [--mode durable|ack-first] [--flush-ms N] [--name NAME]',
  );
  process.exit(2);
}
const log = (msg) => console.log(`${new Date().toISOString()} ${opt.name}: ${msg}`);

const db = new Database(opt.db);
// Another instance may hold the write lock for a moment; wait for it rather than fail the request.
db.pragma('busy_timeout = 5000');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS kv (id TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at TEXT NOT NULL)');

// Prepared per call: a table dropped and restored by a runbook must not leave a stale statement.
const upsert = (rows) => {
  const stmt = db.prepare(
    'INSERT INTO kv (id, value, stored_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET value = excluded.value, stored_at = excluded.stored_at',
  );
  db.transaction(() => {
    for (const r of rows) stmt.run(r.id, r.value, r.storedAt);
  })();
};
const lookup = (id) => db.prepare('SELECT value FROM kv WHERE id = ?').get(id)?.value;

/** ack-first only: acknowledged writes not yet committed, id → row. */
const pending = new Map();
if (opt.mode === 'ack-first') {
  setInterval(() => {
    if (pending.size === 0) return;
    const rows = [...pending.values()];
    upsert(rows);
    for (const r of rows) if (pending.get(r.id) === r) pending.delete(r.id);
  }, Number(opt['flush-ms']));
}

let maintenanceUntil = 0;
const inMaintenance = () => Date.now() < maintenanceUntil;

function handle(req, body, send) {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/health') return inMaintenance() ? send(503, 'maintenance') : send(200, 'ok');
  if (req.method === 'POST' && url.pathname === '/admin/maintenance') {
    const seconds = Number(url.searchParams.get('seconds') ?? '60');
    maintenanceUntil = Date.now() + seconds * 1000;
    log(`maintenance for ${seconds} s`);
    return send(200, `maintenance for ${seconds} s`);
  }
  if (req.method === 'POST' && url.pathname === '/admin/ready') {
    maintenanceUntil = 0;
    log('maintenance over');
    return send(200, 'ready');
  }
  if (req.method === 'GET' && url.pathname === '/kv') {
    const ids = db.prepare('SELECT id FROM kv').pluck().all();
    return send(200, JSON.stringify([...new Set([...ids, ...pending.keys()])]), 'application/json');
  }
  const m = /^\/kv\/([^/]+)$/.exec(url.pathname);
  if (!m) return send(404, 'no such route');
  const id = decodeURIComponent(m[1]);
  if (req.method === 'GET') {
    const value = pending.get(id)?.value ?? lookup(id);
    return value === undefined ? send(404, 'absent') : send(200, value);
  }
  if (req.method !== 'PUT') return send(405, 'method not allowed');
  if (inMaintenance()) return send(503, 'maintenance');
  const row = { id, value: body, storedAt: new Date().toISOString() };
  if (opt.mode === 'ack-first') {
    pending.set(id, row);
    return send(200, 'stored');
  }
  upsert([row]);
  return send(200, 'stored');
}

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    const send = (status, text, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type });
      res.end(text);
    };
    try {
      handle(req, body, send);
    } catch (err) {
      // A database error (a dropped table, a full disk) is the service's 500, not a crash.
      log(`${req.method} ${req.url}: ${err.message}`);
      send(500, `database error: ${err.message}`);
    }
  });
});
server.listen(Number(opt.port), process.env.HOST ?? '127.0.0.1', () =>
  log(`listening on ${opt.port}, mode ${opt.mode}, database ${opt.db}`),
);
