// The service under test: a trade store on SQLite (WAL) with an in-process backup agent.
// Run as its own process: `node --import tsx trade-store.ts`; configured by environment variables.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Database from 'better-sqlite3';
import { BackupAgent } from './backup-agent.js';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`trade-store: environment variable ${name} is required`);
  return v;
};

const dbPath = env('TRADE_DB');
const port = Number(env('TRADE_PORT'));
const interval = Number(env('BACKUP_INTERVAL_MS', '0'));

/** History for a new database, so it spans many pages as a production one would. */
function seed(db: Database.Database, rows: number): void {
  if (rows <= 0 || db.prepare('select seq from trades limit 1').get() !== undefined) return;
  const ins = db.prepare(
    'insert into trades (id, symbol, side, qty, price, created_at) values (?, ?, ?, ?, ?, ?)',
  );
  const at = new Date().toISOString();
  db.transaction(() => {
    for (let i = 0; i < rows; i++)
      ins.run(`seed-${randomUUID()}`, 'ETH-PERP', i % 2 ? 'buy' : 'sell', 1, 2000 + i, at);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
}

function open() {
  const db = new Database(dbPath);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // A production database is much larger than the page cache, so the service keeps re-reading
    // pages from the file. With a cache bigger than this small test database the service would
    // never re-read a damaged page (and its snapshots would stay clean): see README.
    db.pragma(`cache_size = -${Number(env('TRADE_CACHE_KIB', '64'))}`);
    db.exec(`create table if not exists trades (
      seq integer primary key, id text not null unique, symbol text not null, side text not null,
      qty real not null, price real not null, created_at text not null)`);
    seed(db, Number(env('TRADE_SEED_ROWS', '0')));
    const agent =
      interval > 0
        ? new BackupAgent(db, {
            intervalMs: interval,
            endpoint: env('S3_ENDPOINT'),
            region: env('S3_REGION', 'us-east-1'),
            bucket: env('S3_BUCKET'),
            prefix: env('S3_PREFIX', ''),
            accessKeyId: env('S3_ACCESS_KEY_ID'),
            secretAccessKey: env('S3_SECRET_ACCESS_KEY'),
            tmpPath: `${dbPath}.snapshot`,
          })
        : undefined;
    agent?.start();
    return {
      db,
      agent,
      insert: db.prepare(
        'insert into trades (id, symbol, side, qty, price, created_at) values (?, ?, ?, ?, ?, ?)',
      ),
      byId: db.prepare('select id, symbol, side, qty, price, created_at from trades where id = ?'),
      // Cheap on purpose: it touches the root and one leaf, as a typical liveness query would.
      health: db.prepare('select seq from trades order by seq desc limit 1'),
    };
  } catch (err) {
    db.close();
    throw err;
  }
}

// A file that cannot be opened (damaged header) leaves the service up and answering 500, as an
// app with a broken database would; every request tries to open it again.
let store: ReturnType<typeof open> | undefined;
function current(): ReturnType<typeof open> {
  store ??= open();
  return store;
}
try {
  current();
} catch (err) {
  console.error(`trade-store: cannot open ${dbPath}: ${String(err)}`);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  if (typeof parsed !== 'object' || parsed === null) throw new SyntaxError('body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function dbError(res: ServerResponse, err: unknown): void {
  const code = (err as { code?: unknown }).code;
  send(res, 500, { error: err instanceof Error ? err.message : String(err), code });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/ready') return send(res, 200, { ready: true });
  if (req.method === 'GET' && url.pathname === '/health') {
    try {
      const st = current();
      st.health.get();
      return send(res, 200, { ok: true, backups: st.agent?.status });
    } catch (err) {
      return dbError(res, err);
    }
  }
  if (req.method === 'POST' && url.pathname === '/trades') {
    const body = await readJson(req);
    const id = typeof body.id === 'string' && body.id ? body.id : randomUUID();
    try {
      current().insert.run(
        id,
        String(body.symbol ?? 'BTC-PERP'),
        body.side === 'sell' ? 'sell' : 'buy',
        Number(body.qty ?? 1),
        Number(body.price ?? 1),
        new Date().toISOString(),
      );
    } catch (err) {
      if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') return send(res, 409, { id });
      return dbError(res, err);
    }
    return send(res, 201, { id });
  }
  if (req.method === 'POST' && url.pathname === '/trades/lookup') {
    const body = await readJson(req);
    const ids = Array.isArray(body.ids) ? body.ids.filter((x): x is string => typeof x === 'string') : [];
    try {
      return send(res, 200, { present: ids.filter((id) => current().byId.get(id) !== undefined) });
    } catch (err) {
      return dbError(res, err);
    }
  }
  const m = /^\/trades\/([^/]+)$/.exec(url.pathname);
  if (req.method === 'GET' && m?.[1]) {
    try {
      const row = current().byId.get(decodeURIComponent(m[1]));
      return row ? send(res, 200, row) : send(res, 404, { error: 'not found' });
    } catch (err) {
      return dbError(res, err);
    }
  }
  return send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => send(res, 400, { error: String(err) }));
});
server.keepAliveTimeout = 1000;
server.listen(port, '127.0.0.1', () => {
  console.log(`trade-store listening on 127.0.0.1:${port}, db ${dbPath}, backups every ${interval}ms`);
});

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  console.log(`trade-store: ${signal}, shutting down`);
  server.close();
  server.closeAllConnections();
  await store?.agent?.stop();
  try {
    // Closing checkpoints the WAL into the main file and removes -wal/-shm.
    store?.db.close();
  } catch (err) {
    console.error(`trade-store: close failed: ${String(err)}`);
  }
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
