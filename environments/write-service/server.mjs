// A small HTTP write service for service-crash-restart: it keeps every write in an append-only
// file (one JSON line per write, fdatasync'd) and is restarted by the harness's supervisor. How it
// acknowledges and how it shuts down are options, so one file is both the service that keeps its
// promise and the negative control that breaks it:
//
//   --ack-after-persist true    answer a write once its line is on disk (default)
//   --ack-after-persist false   answer at once and persist it --persist-ms later (write-behind)
//   --drain-on-sigterm true     on SIGTERM: stop accepting connections, answer new requests on open
//                               ones 503, finish the writes in flight and persist them, exit 0 (default)
//   --drain-on-sigterm false    no SIGTERM handler: the signal's default action ends the process at once
//   --persist-ms N              how long persisting one write takes: the commit latency of the store
//                               it stands for, modelled by a timer before the line's write and fdatasync
//
//   PUT|POST /kv/<id>  store the body       GET /kv/<id>  200 with the body, or 404
//   GET /health        200 (503 while shutting down)
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    port: { type: 'string' },
    data: { type: 'string' },
    'ack-after-persist': { type: 'string', default: 'true' },
    'drain-on-sigterm': { type: 'string', default: 'true' },
    'persist-ms': { type: 'string', default: '50' },
    'drain-timeout-ms': { type: 'string', default: '5000' },
  },
});
const persistMs = Number(opt['persist-ms']);
const drainTimeoutMs = Number(opt['drain-timeout-ms']);
if (
  !opt.port ||
  !opt.data ||
  !['true', 'false'].includes(opt['ack-after-persist']) ||
  !['true', 'false'].includes(opt['drain-on-sigterm']) ||
  !(persistMs >= 0) ||
  !(drainTimeoutMs > 0)
) {
  console.error(
    'usage: server.mjs --port N --data FILE [--ack-after-persist true|false] [--drain-on-sigterm true|false] [--persist-ms N] [--drain-timeout-ms N]',
  );
  process.exit(2);
}
const ackAfterPersist = opt['ack-after-persist'] === 'true';
const drainOnSigterm = opt['drain-on-sigterm'] === 'true';
const log = (msg) => console.log(`${new Date().toISOString()} write-service[${process.pid}] ${msg}`);

// What an earlier life persisted. A line cut short by a crash in the middle of its write would be
// the last one; it was never acknowledged (after-persist), so it is skipped and said.
const store = new Map();
if (existsSync(opt.data)) {
  const lines = readFileSync(opt.data, 'utf8').split('\n');
  let torn = 0;
  for (const line of lines) {
    if (!line) continue;
    try {
      const { id, value } = JSON.parse(line);
      store.set(id, value);
    } catch {
      torn++;
    }
  }
  log(`loaded ${store.size} writes from ${opt.data}${torn ? ` (${torn} torn line(s) skipped)` : ''}`);
} else {
  mkdirSync(dirname(opt.data), { recursive: true });
  openSync(opt.data, 'a');
}
const file = await open(opt.data, 'a');

/** Writes whose line is not yet on disk. */
const persisting = new Set();
/** Requests received and not yet answered. */
let requestsInFlight = 0;
let closing = false;

function persist(id, value) {
  const done = (async () => {
    if (persistMs > 0) await sleep(persistMs);
    // One write(2) per line on an O_APPEND descriptor: concurrent lines never interleave.
    await file.write(`${JSON.stringify({ id, value })}\n`);
    await file.datasync();
  })();
  persisting.add(done);
  return done.finally(() => persisting.delete(done));
}

const server = createServer((req, res) => {
  requestsInFlight++;
  let answered = false;
  const finished = () => {
    if (answered) return;
    answered = true;
    requestsInFlight--;
    if (closing) maybeExit();
  };
  res.on('finish', finished);
  res.on('close', finished);
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    const send = (status, text = '') => {
      // While draining, a kept-alive connection must not carry another request.
      const headers = { 'content-type': 'text/plain' };
      if (closing) headers.connection = 'close';
      res.writeHead(status, headers);
      res.end(text);
    };
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/health') return closing ? send(503, 'shutting down') : send(200, 'ok');
    const m = /^\/kv\/([^/]+)$/.exec(url.pathname);
    if (!m) return send(404, 'no such route');
    const id = decodeURIComponent(m[1]);
    if (req.method === 'GET') return store.has(id) ? send(200, store.get(id)) : send(404, 'absent');
    if (req.method !== 'PUT' && req.method !== 'POST') return send(405, 'method not allowed');
    // Received after SIGTERM on a connection opened before it: refused, never applied.
    if (closing) return send(503, 'shutting down');
    if (!ackAfterPersist) {
      store.set(id, body);
      send(200, 'stored');
      void persist(id, body);
      return;
    }
    persist(id, body).then(
      () => {
        store.set(id, body);
        send(200, 'stored');
      },
      (err) => send(500, `not stored: ${err.message}`),
    );
  });
});
server.keepAliveTimeout = 5000;

let exiting = false;
function maybeExit() {
  if (exiting || requestsInFlight > 0 || persisting.size > 0) return;
  exiting = true;
  void file
    .datasync()
    .then(() => file.close())
    .then(() => {
      log(
        `drained: every request answered and every write persisted (${store.size} in the store); exiting 0`,
      );
      process.exit(0);
    });
}

if (drainOnSigterm) {
  process.on('SIGTERM', () => {
    if (closing) return;
    closing = true;
    log(
      `SIGTERM: no longer accepting; ${requestsInFlight} request(s) in flight, ${persisting.size} write(s) not yet persisted`,
    );
    server.close();
    server.closeIdleConnections();
    setTimeout(() => {
      log(
        `drain timeout after ${drainTimeoutMs} ms: ${requestsInFlight} request(s) in flight, ${persisting.size} write(s) not persisted; exiting 1`,
      );
      process.exit(1);
    }, drainTimeoutMs).unref();
    // Writes already in flight keep going; each one's answer calls maybeExit.
    maybeExit();
  });
}

server.listen(Number(opt.port), process.env.HOST ?? '127.0.0.1', () => {
  log(
    `listening on ${opt.port}: ${ackAfterPersist ? 'acknowledges after persisting' : 'acknowledges before persisting'}, ${drainOnSigterm ? 'drains on SIGTERM' : 'no SIGTERM handler'}, persist ${persistMs} ms, data ${opt.data}`,
  );
});
