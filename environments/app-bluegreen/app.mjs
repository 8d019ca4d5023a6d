// The API service under test: plain node:http, no dependencies. The version is chosen at start
// (`--version`) and decides how it misbehaves, so one script stands in for every build a
// pipeline might ship. Health checks (`/health`) never count as traffic: `errors-after-switch`
// only knows it is live once it has served real (non-health) requests.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    version: { type: 'string', default: 'good' },
    slot: { type: 'string', default: 'blue' },
    // A build that passes its health check and starts failing once users reach it.
    'errors-after': { type: 'string', default: '10' },
    // Every Nth live request after that fails: 2 = 50 %.
    'error-every': { type: 'string', default: '2' },
    'slow-ms': { type: 'string', default: '400' },
  },
});

const VERSIONS = ['good', 'crash-on-boot', 'fails-health', 'errors-after-switch', 'slow'];
const version = values.version;
if (!VERSIONS.includes(version)) {
  console.error(`app: unknown version "${version}", expected one of ${VERSIONS.join(', ')}`);
  process.exit(2);
}
const port = Number(values.port);
const errorsAfter = Number(values['errors-after']);
const errorEvery = Number(values['error-every']);
const slowMs = Number(values['slow-ms']);

if (version === 'crash-on-boot') {
  // Looks like a real boot failure: some start-up work, then a fatal error before listening.
  setTimeout(() => {
    console.error(`app[${values.slot}] ${version}: FATAL missing configuration key DATABASE_URL, exiting`);
    process.exit(1);
  }, 150);
} else {
  let live = 0;
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      const healthy = version !== 'fails-health';
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(healthy ? 'ok\n' : 'dependency check failed\n');
      return;
    }
    live++;
    const n = live;
    const reply = () => {
      if (version === 'errors-after-switch' && n > errorsAfter && n % errorEvery === 0) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(`{"error":"internal","version":"${version}","slot":"${values.slot}"}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"version":"${version}","slot":"${values.slot}","n":${n}}\n`);
    };
    if (version === 'slow') setTimeout(reply, slowMs);
    else reply();
  });
  server.keepAliveTimeout = 30_000;
  server.listen(port, '127.0.0.1', () => {
    console.log(`app[${values.slot}] version ${version} listening on 127.0.0.1:${port}`);
  });
  const shutdown = () => {
    // Finish in-flight requests, close idle keep-alive sockets; bounded so a stop never hangs.
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
