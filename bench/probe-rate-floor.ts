// How fast can one open-loop probe issue operations on this machine? Runs the open-loop scheduler
// with a real HTTP GET (the `http` probe's operation, against the http-service example server in a
// child process) and with a no-op, at several intervals, and prints requested vs achieved rate and
// the operations' p99 latency. The floor for `interval` / ceiling for `rate` in src/scenario/schema.ts
// comes from this. Usage: node --import tsx bench/probe-rate-floor.ts [seconds per step]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import { createClock } from '../src/core/clock.js';
import { computeSchedule } from '../src/core/metrics.js';
import { OpenLoop } from '../src/probes/open-loop.js';

const seconds = Number(process.argv[2] ?? 3);
const port = await getPort({ host: '127.0.0.1' });
const server = spawn(process.execPath, ['server.mjs', '--port', String(port)], {
  cwd: fileURLToPath(new URL('../environments/http-service/', import.meta.url)),
  stdio: 'ignore',
});
try {
  for (let i = 0; ; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.arrayBuffer());
      break;
    } catch {
      if (i > 100) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const ops = {
    'no-op': async () => undefined,
    'http GET': async (signal: AbortSignal) => {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal });
      await res.arrayBuffer();
      return undefined;
    },
  };
  console.log('op        interval  requested/s  achieved/s  ok-share  p99 latency');
  for (const [name, op] of Object.entries(ops)) {
    for (const intervalMs of [1, 2, 5, 10, 20]) {
      const clock = createClock();
      const loop = new OpenLoop({ intervalMs, timeoutMs: 1000, clock, op });
      loop.start();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const rate = computeSchedule(loop.ops, { intervalMs, endMs: clock.now() });
      await loop.stop();
      const recs = loop.ops;
      const ok = recs.filter((o) => o.outcome === 'ok');
      const lat = ok.map((o) => o.endMs - o.startMs).sort((a, b) => a - b);
      const p99 = lat[Math.floor(lat.length * 0.99)] ?? Number.NaN;
      console.log(
        `${name.padEnd(9)} ${`${intervalMs}ms`.padStart(8)}  ${rate.requestedPerSec.toFixed(0).padStart(11)}  ${rate.achievedPerSec.toFixed(0).padStart(10)}  ${(ok.length / Math.max(1, recs.length)).toFixed(3).padStart(8)}  ${p99.toFixed(1).padStart(8)} ms`,
      );
    }
  }
} finally {
  server.kill('SIGKILL');
  await once(server, 'exit');
}
