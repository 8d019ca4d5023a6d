// A small shop front: GET /db asks Postgres (SELECT 1 over a fresh connection), GET /cache counts a
// visit in Redis (INCR), GET /health answers without either. Each dependency call gives up after
// DEP_TIMEOUT_MS, so a dead or unreachable dependency turns into a 503, not a hung request.
// No client libraries: the two wire protocols are spoken directly (trust auth, simple query, RESP).
import { createServer } from 'node:http';
import { connect } from 'node:net';

const PORT = Number(process.env.PORT ?? 8080);
const DEP_TIMEOUT_MS = Number(process.env.DEP_TIMEOUT_MS ?? 1000);
const [PG_HOST, PG_PORT] = (process.env.DATABASE_ADDR ?? 'db:5432').split(':');
const [REDIS_HOST, REDIS_PORT] = (process.env.REDIS_ADDR ?? 'redis:6379').split(':');

/** Opens a socket, lets `onData` consume the bytes until it returns a result, then closes. */
function exchange(host, port, first, onData) {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port: Number(port) });
    let buf = Buffer.alloc(0);
    const done = (err, value) => {
      clearTimeout(timer);
      sock.destroy();
      err ? reject(err) : resolve(value);
    };
    const timer = setTimeout(
      () => done(new Error(`${host}:${port}: no answer in ${DEP_TIMEOUT_MS} ms`)),
      DEP_TIMEOUT_MS,
    );
    sock.once('connect', () => sock.write(first));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      try {
        const r = onData(buf, sock);
        if (r !== undefined) done(null, r.value);
      } catch (err) {
        done(err);
      }
    });
    sock.once('error', (err) => done(err));
    sock.once('close', () => done(new Error(`${host}:${port}: connection closed`)));
  });
}

function pgStartup() {
  const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
  const b = Buffer.alloc(8);
  b.writeInt32BE(8 + params.length, 0);
  b.writeInt32BE(196608, 4); // protocol 3.0
  return Buffer.concat([b, params]);
}

function pgQuery(sql) {
  const text = Buffer.from(`${sql}\0`);
  const head = Buffer.alloc(5);
  head.write('Q', 0);
  head.writeInt32BE(4 + text.length, 1);
  return Buffer.concat([head, text]);
}

async function askPostgres() {
  let queried = false;
  return exchange(PG_HOST, PG_PORT, pgStartup(), (buf, sock) => {
    for (let off = 0; off + 5 <= buf.length; ) {
      const type = String.fromCharCode(buf[off]);
      const len = buf.readInt32BE(off + 1);
      if (off + 1 + len > buf.length) return undefined;
      if (type === 'E')
        throw new Error(
          `postgres: ${buf
            .subarray(off + 5, off + 1 + len)
            .toString()
            .replace(/\0/g, ' ')
            .trim()}`,
        );
      if (type === 'R' && buf.readInt32BE(off + 5) !== 0) throw new Error('postgres asks for a password');
      if (type === 'Z' && !queried) {
        queried = true;
        sock.write(pgQuery('SELECT 1'));
      } else if (type === 'C') return { value: 'ok' };
      off += 1 + len;
    }
    return undefined;
  });
}

async function askRedis() {
  return exchange(REDIS_HOST, REDIS_PORT, '*2\r\n$4\r\nINCR\r\n$6\r\nvisits\r\n', (buf) => {
    const line = buf.toString();
    if (!line.includes('\r\n')) return undefined;
    if (line.startsWith(':')) return { value: Number(line.slice(1, line.indexOf('\r\n'))) };
    throw new Error(`redis: ${line.trim()}`);
  });
}

const routes = {
  '/health': async () => 'ok',
  '/db': askPostgres,
  '/cache': askRedis,
};

createServer(async (req, res) => {
  const route = routes[req.url ?? ''];
  if (!route) {
    res.writeHead(404).end();
    return;
  }
  try {
    const value = await route();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, value }));
  } catch (err) {
    res
      .writeHead(503, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ok: false, error: err.message }));
  }
}).listen(PORT, '0.0.0.0', () => console.log(`shop listening on 0.0.0.0:${PORT}`));
