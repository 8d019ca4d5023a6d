// The event bus under test: an HTTP front of a Redis Stream that models claim 4 ("reconnects with
// exponential backoff and replays its disk buffer: no event lost when Redis is down").
//
// POST /events/<id> publishes one event. While the bus is connected and its buffer is empty, the
// event is XADDed to the stream (and, with --wait-replicas N, acknowledged only once WAIT says N
// replicas have it) and answered 200 {stored:"stream"}. When Redis is unreachable (not connected,
// an error, a command timeout) the event is appended to the disk buffer and fsync'd before the
// answer, 202 {stored:"buffer"}; once anything is buffered every later event goes behind it, so the
// order is kept. A replay loop publishes the buffer in order, in MULTI batches, retrying with
// exponential backoff (--backoff-base-ms doubling up to --backoff-max-ms), and ioredis reconnects
// with the same backoff. With --buffer off the bus is the buggy one, fire and forget: it answers
// 202 {stored:"accepted"} at once and sends the XADD behind the answer; an event whose XADD fails
// (Redis unreachable) is dropped and only counted.
//
// The buffer survives a SIGKILL: a state file (written by rename) names the current buffer file and
// how many of its lines are already published; a restarted bus replays the rest. Replay is
// at-least-once: before a (re)try it reads the stream's last entry, and skips the buffered events up
// to it when it is one of them (an XADD or MULTI applied whose answer was lost: a timeout, a kill
// between the XADD and the state write). Only plain node and ioredis: it runs in chaos-harness/node.
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';

const { values: a } = parseArgs({
  options: {
    port: { type: 'string' },
    'buffer-dir': { type: 'string' },
    buffer: { type: 'string', default: 'disk' },
    sentinels: { type: 'string' }, // host:port,host:port
    'master-name': { type: 'string', default: 'mymaster' },
    'nat-map': { type: 'string' }, // JSON {"alias:port": {"host","port"}}
    stream: { type: 'string', default: 'events' },
    'backoff-base-ms': { type: 'string', default: '100' },
    'backoff-max-ms': { type: 'string', default: '2000' },
    'command-timeout-ms': { type: 'string', default: '500' },
    'wait-replicas': { type: 'string', default: '1' },
    'wait-timeout-ms': { type: 'string', default: '200' },
    'batch-size': { type: 'string', default: '100' },
  },
});
const need = (k) => {
  if (!a[k]) {
    console.error(`eventbus: --${k} is required`);
    process.exit(2);
  }
  return a[k];
};
const port = Number(need('port'));
const bufferDir = need('buffer-dir');
if (a.buffer !== 'disk' && a.buffer !== 'off') {
  console.error(`eventbus: --buffer expected disk or off, got "${a.buffer}"`);
  process.exit(2);
}
const bufferOn = a.buffer === 'disk';
const STREAM = a.stream;
const BASE = Number(a['backoff-base-ms']);
const MAX = Number(a['backoff-max-ms']);
const WAIT_REPLICAS = Number(a['wait-replicas']);
const WAIT_TIMEOUT = Number(a['wait-timeout-ms']);
const BATCH = Number(a['batch-size']);
const backoff = (attempt) => Math.min(BASE * 2 ** attempt, MAX);
const log = (msg) => console.log(`${new Date().toISOString()} eventbus: ${msg}`);
/** The replay loop's backoff sleep; a (re)connection wakes it, so a reconnect replays at once. */
let wake = () => {};
const backoffSleep = (ms) =>
  new Promise((r) => {
    const t = setTimeout(r, ms);
    wake = () => {
      clearTimeout(t);
      r();
    };
  });

// ---- the disk buffer ---------------------------------------------------------------------------
const statePath = join(bufferDir, 'state.json');
/** @type {{gen: number, published: number}} */
let state = { gen: 0, published: 0 };
/** Events buffered and not yet published, oldest first. */
let pending = [];
let fd;
const bufferFile = (gen) => join(bufferDir, `buffer-${gen}.jsonl`);

function writeState(s) {
  const tmp = `${statePath}.tmp`;
  const f = openSync(tmp, 'w');
  writeSync(f, JSON.stringify(s));
  fsyncSync(f);
  closeSync(f);
  renameSync(tmp, statePath);
  const d = openSync(bufferDir, 'r');
  fsyncSync(d);
  closeSync(d);
  state = s;
}

function loadBuffer() {
  if (existsSync(statePath)) state = JSON.parse(readFileSync(statePath, 'utf8'));
  const file = bufferFile(state.gen);
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    // A line without its newline was being written when the bus died: never acknowledged.
    const lines = text.split('\n');
    const torn = lines.pop();
    if (torn) log(`dropping a torn last line (${torn.length} bytes, never acknowledged)`);
    const complete = lines.map((l) => JSON.parse(l));
    pending = complete.slice(state.published);
    if (torn) {
      // Rewrite without it, so later appends start on a fresh line.
      const f = openSync(file, 'w');
      writeSync(f, lines.map((l) => `${l}\n`).join(''));
      fsyncSync(f);
      closeSync(f);
    }
  }
  fd = openSync(file, 'a');
  if (pending.length)
    log(`buffer ${file}: ${pending.length} event(s) to replay (${state.published} already published)`);
}

function appendDurably(ev) {
  writeSync(fd, `${JSON.stringify(ev)}\n`);
  fsyncSync(fd);
  pending.push(ev);
}

/** `n` buffered events are in the stream: record it; a drained buffer starts a new file. */
function advance(n) {
  pending = pending.slice(n);
  if (pending.length === 0) {
    const old = bufferFile(state.gen);
    closeSync(fd);
    writeState({ gen: state.gen + 1, published: 0 });
    rmSync(old, { force: true });
    fd = openSync(bufferFile(state.gen), 'a');
  } else {
    writeState({ gen: state.gen, published: state.published + n });
  }
}

// ---- Redis -------------------------------------------------------------------------------------
const sentinels = need('sentinels')
  .split(',')
  .map((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  });
let reconnects = 0;
/** Did the last command sent to Redis succeed? With the connection's state, what /status calls reachable. */
let lastCommandOk = true;
let lastBackoffMs = 0;
const redis = new Redis({
  sentinels,
  name: a['master-name'],
  ...(a['nat-map'] ? { natMap: JSON.parse(a['nat-map']) } : {}),
  enableOfflineQueue: false,
  commandTimeout: Number(a['command-timeout-ms']),
  connectTimeout: 1000,
  // Exponential backoff between reconnection attempts (ioredis counts them from 1).
  retryStrategy: (times) => {
    reconnects++;
    lastBackoffMs = backoff(times - 1);
    log(`reconnect attempt ${times} in ${lastBackoffMs} ms`);
    return lastBackoffMs;
  },
  sentinelRetryStrategy: (times) => backoff(times - 1),
});
redis.on('ready', () => {
  log('connected to the master');
  if (pending.length) {
    wake();
    void drain();
  }
});
redis.on('error', (err) => log(`redis: ${err.message}`));
redis.on('close', () => log('connection closed'));

async function replicated() {
  if (WAIT_REPLICAS <= 0) return;
  const n = await redis.wait(WAIT_REPLICAS, WAIT_TIMEOUT);
  if (n < WAIT_REPLICAS)
    throw new Error(`WAIT: ${n} of ${WAIT_REPLICAS} replica(s) acknowledged in ${WAIT_TIMEOUT} ms`);
}

const fields = (ev, buffered) => [
  'id',
  ev.id,
  'seq',
  String(ev.seq ?? ''),
  'body',
  ev.body ?? '',
  'buffered',
  buffered ? '1' : '0',
];

/** After an unanswered publish: skip the buffered events the stream already ends with. */
async function skipApplied() {
  const last = await redis.xrevrange(STREAM, '+', '-', 'COUNT', 1);
  const f = last[0]?.[1];
  if (!f) return;
  const id = f[f.indexOf('id') + 1];
  const i = pending.slice(0, BATCH).findIndex((e) => e.id === id);
  if (i >= 0) {
    log(`the stream already ends with buffered event ${id}: skipping ${i + 1} event(s)`);
    advance(i + 1);
  }
}

let draining = false;
let replayed = 0;
let checkFirst = true;
let drainedAt = null;
async function drain() {
  if (draining) return;
  draining = true;
  let attempt = 0;
  while (pending.length > 0) {
    try {
      if (redis.status !== 'ready') throw new Error(`not connected (${redis.status})`);
      if (checkFirst) {
        await skipApplied();
        checkFirst = false;
        if (pending.length === 0) break;
      }
      const batch = pending.slice(0, BATCH);
      const m = redis.multi();
      for (const ev of batch) m.xadd(STREAM, '*', ...fields(ev, true));
      const res = await m.exec();
      const bad = res?.find(([err]) => err);
      if (!res || bad) throw new Error(`MULTI: ${bad ? bad[0].message : 'aborted'}`);
      // Unreplicated entries would be lost by a failover: the next try checks what the stream has.
      checkFirst = true;
      await replicated();
      checkFirst = false;
      lastCommandOk = true;
      advance(batch.length);
      replayed += batch.length;
      attempt = 0;
      if (pending.length === 0) {
        drainedAt = new Date().toISOString();
        log(`buffer drained (${replayed} replayed so far)`);
      }
    } catch (err) {
      checkFirst = true;
      lastCommandOk = false;
      lastBackoffMs = backoff(attempt++);
      log(
        `replay of ${pending.length} buffered event(s) failed: ${err.message}; retry in ${lastBackoffMs} ms`,
      );
      await backoffSleep(lastBackoffMs);
    }
  }
  draining = false;
}

// ---- publishing, one at a time so the stream keeps the order of acknowledgement ----------------
let chain = Promise.resolve();
const counts = { stream: 0, buffer: 0, accepted: 0, dropped: 0 };
function publish(ev) {
  if (!bufferOn) {
    redis.xadd(STREAM, '*', ...fields(ev, false)).then(
      () => {
        lastCommandOk = true;
      },
      (err) => {
        lastCommandOk = false;
        counts.dropped++;
        log(`dropped ${ev.id}: ${err.message}`);
      },
    );
    return Promise.resolve('accepted');
  }
  const p = chain.then(async () => {
    if (pending.length === 0 && !draining && redis.status === 'ready') {
      try {
        await redis.xadd(STREAM, '*', ...fields(ev, false));
        await replicated();
        lastCommandOk = true;
        return 'stream';
      } catch (err) {
        lastCommandOk = false;
        // It may have been applied all the same: the replay checks the stream's end first.
        checkFirst = true;
        log(`publish of ${ev.id} failed: ${err.message}`);
      }
    }
    appendDurably(ev);
    void drain();
    return 'buffer';
  });
  chain = p.then(
    () => undefined,
    () => undefined,
  );
  return p;
}

loadBuffer();

const server = createServer((req, res) => {
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(body)}\n`);
  };
  const url = new URL(req.url ?? '/', 'http://bus');
  if (req.method === 'GET' && url.pathname === '/health') return reply(200, { ok: true });
  if (req.method === 'GET' && url.pathname === '/status') {
    return reply(200, {
      connected: redis.status === 'ready',
      reachable: redis.status === 'ready' && lastCommandOk,
      redisStatus: redis.status,
      buffer: a.buffer,
      buffered: pending.length,
      draining,
      replayed,
      drainedAt,
      reconnects,
      lastBackoffMs,
      ...counts,
    });
  }
  const m = /^\/events\/([^/]+)$/.exec(url.pathname);
  if (req.method === 'POST' && m) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const id = decodeURIComponent(m[1]);
      const seq = url.searchParams.get('seq');
      const ev = { id, seq: seq === null ? null : Number(seq), body: Buffer.concat(chunks).toString('utf8') };
      publish(ev).then(
        (stored) => {
          counts[stored]++;
          reply(stored === 'stream' ? 200 : 202, { id, stored });
        },
        (err) => reply(500, { error: String(err?.message ?? err) }),
      );
    });
    return;
  }
  reply(404, { error: `no route ${req.method} ${url.pathname}` });
});
server.listen(port, '127.0.0.1', () => log(`listening on ${port}, buffer ${a.buffer} in ${bufferDir}`));

function shutdown(sig) {
  log(`${sig}: closing`);
  server.close();
  redis.disconnect();
  setTimeout(() => process.exit(0), 200).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
