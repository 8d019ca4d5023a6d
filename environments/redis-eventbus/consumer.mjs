// A downstream consumer of the bus's stream: follows it with XREAD BLOCK from the Sentinel master
// (reconnecting with ioredis's backoff across a failover) and serves what it has read,
// GET /consumed -> {count, duplicates, lastEntryId, ids?}; ?ids=1 adds the event ids in the order read.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';

const { values: a } = parseArgs({
  options: {
    port: { type: 'string' },
    sentinels: { type: 'string' },
    'master-name': { type: 'string', default: 'mymaster' },
    'nat-map': { type: 'string' },
    stream: { type: 'string', default: 'events' },
  },
});
if (!a.port || !a.sentinels) {
  console.error('consumer: --port and --sentinels are required');
  process.exit(2);
}
const log = (msg) => console.log(`${new Date().toISOString()} consumer: ${msg}`);
const redis = new Redis({
  sentinels: a.sentinels.split(',').map((s) => {
    const i = s.lastIndexOf(':');
    return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  }),
  name: a['master-name'],
  ...(a['nat-map'] ? { natMap: JSON.parse(a['nat-map']) } : {}),
  maxRetriesPerRequest: null,
  retryStrategy: (times) => Math.min(100 * 2 ** (times - 1), 2000),
});
redis.on('error', (err) => log(`redis: ${err.message}`));

const ids = [];
const seen = new Set();
let duplicates = 0;
let lastEntryId = '0-0';
let stopping = false;

async function follow() {
  while (!stopping) {
    try {
      const res = await redis.xread('COUNT', 1000, 'BLOCK', 1000, 'STREAMS', a.stream, lastEntryId);
      for (const [, entries] of res ?? []) {
        for (const [entryId, f] of entries) {
          lastEntryId = entryId;
          const id = f[f.indexOf('id') + 1];
          if (seen.has(id)) duplicates++;
          seen.add(id);
          ids.push(id);
        }
      }
    } catch (err) {
      if (!stopping) {
        log(`XREAD: ${err.message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}
void follow();

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://consumer');
  res.writeHead(url.pathname === '/consumed' || url.pathname === '/health' ? 200 : 404, {
    'content-type': 'application/json',
  });
  if (url.pathname === '/health') return res.end('{"ok":true}\n');
  if (url.pathname !== '/consumed') return res.end('{"error":"not found"}\n');
  const body = { count: ids.length, distinct: seen.size, duplicates, lastEntryId };
  if (url.searchParams.get('ids')) body.ids = ids;
  res.end(`${JSON.stringify(body)}\n`);
});
server.listen(Number(a.port), '127.0.0.1', () => log(`listening on ${a.port}`));
const shutdown = () => {
  stopping = true;
  server.close();
  redis.disconnect();
  setTimeout(() => process.exit(0), 100).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
