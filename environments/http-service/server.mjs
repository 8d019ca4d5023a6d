// A small HTTP service for the examples: GET /health and GET / answer 200.
// SIGHUP is handled (a "reload") and survived, which makes it a fault with no effect.
import { createServer } from 'node:http';

const portArg = process.argv.indexOf('--port');
const port = Number(process.argv[portArg + 1]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: server.mjs --port <port>');
  process.exit(64);
}

let requests = 0;
const server = createServer((req, res) => {
  requests++;
  if (req.url === '/health' || req.url === '/') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, pid: process.pid, requests }));
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 1000;

process.on('SIGHUP', () =>
  console.log(`${new Date().toISOString()} SIGHUP: reloading configuration (nothing to do)`),
);
process.on('SIGTERM', () => {
  console.log(`${new Date().toISOString()} SIGTERM: shutting down after ${requests} requests`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
});

// In a container the provider sets HOST=0.0.0.0: loopback there is unreachable from outside.
const host = process.env.HOST ?? '127.0.0.1';
server.listen(port, host, () => console.log(`${new Date().toISOString()} listening on ${host}:${port}`));
