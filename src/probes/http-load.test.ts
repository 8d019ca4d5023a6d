import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunContext, StartedEnvironment, StartedService } from '../core/types.js';
import { httpLoad, httpLoadParams } from './http-load.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A server answering 500 for every third request, slower on /slow. */
async function server(): Promise<number> {
  let n = 0;
  const s = createServer((req, res) => {
    n++;
    const reply = () => {
      res.writeHead(n % 3 === 0 && req.url === '/flaky' ? 500 : 200);
      res.end('ok');
    };
    if (req.url === '/slow') setTimeout(reply, 50);
    else if (req.url === '/hang') setTimeout(reply, n % 2 === 0 ? 700 : 0);
    else if (req.url === '/slower-than-timeout') setTimeout(reply, 1500);
    else reply();
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

function context(port: number): RunContext {
  const t0 = performance.now();
  const svc = { name: 'api', endpoints: { http: { host: '127.0.0.1', port } } } as unknown as StartedService;
  const env = {
    name: 'test',
    services: new Map([['api', svc]]),
    resolve: async () => svc,
    extensions: {},
    info: {},
  } as unknown as StartedEnvironment;
  return {
    env,
    clock: { now: () => performance.now() - t0, isoAt: (ms) => new Date(ms).toISOString() },
    signal: new AbortController().signal,
    log: () => {},
    emit: () => {},
    runDir: '/tmp',
  };
}

const common = (intervalMs: number) => ({
  name: 'load',
  intervalMs,
  timeoutMs: 1000,
  target: { service: 'api' },
});

describe('http-load probe', () => {
  it('keeps the requested rate and records each request with its latency', async () => {
    const port = await server();
    const probe = await httpLoad.start(context(port), httpLoadParams.parse({ path: '/slow' }), common(10));
    await sleep(4000);
    await probe.stop();
    const s = probe.summary?.() as {
      requestedPerSec: number;
      achievedPerSec: number;
      autocannon: { totalRequests: number };
    };
    expect(s.requestedPerSec).toBe(100);
    expect(s.achievedPerSec).toBeGreaterThan(90);
    expect(s.achievedPerSec).toBeLessThan(110);
    const ops = probe.ops();
    expect(ops.length).toBeGreaterThan(360);
    expect(ops.every((o) => o.outcome === 'ok')).toBe(true);
    const latencies = ops.map((o) => o.endMs - o.startMs).sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeGreaterThanOrEqual(49);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(150);
    // Staggered slices: requests spread over the second instead of one burst.
    const perTenth = new Set(ops.map((o) => Math.floor((o.startMs % 1000) / 100)));
    expect(perTenth.size).toBe(10);
    expect(s.autocannon.totalRequests).toBeGreaterThan(0);
  });

  it('counts 5xx as failures and connection errors as failures', async () => {
    const port = await server();
    const probe = await httpLoad.start(context(port), httpLoadParams.parse({ path: '/flaky' }), common(20));
    await sleep(1500);
    const s = servers[0] as Server;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
    servers.length = 0;
    await sleep(500);
    await probe.stop();
    const ops = probe.ops();
    const http500 = ops.filter((o) => o.error === 'HTTP 500').length;
    const connErrors = ops.filter((o) => o.outcome === 'fail' && o.error !== 'HTTP 500').length;
    expect(http500).toBeGreaterThan(5);
    expect(connErrors).toBeGreaterThan(0);
    expect(ops.filter((o) => o.outcome === 'ok').length).toBeGreaterThan(10);
    // Reconnects after an error are throttled: no busy loop while the target is down.
    const s2 = probe.summary?.() as { autocannon: { errors: number } };
    expect(s2.autocannon.errors).toBeLessThan(2000);
  });

  it('records requests slower than the timeout as unknown, and no spurious timeouts on idle connections', async () => {
    const port = await server();
    const probe = await httpLoad.start(context(port), httpLoadParams.parse({ path: '/hang' }), {
      ...common(50),
      timeoutMs: 300,
    });
    await sleep(3000);
    await probe.stop();
    const ops = probe.ops();
    const unknown = ops.filter((o) => o.outcome === 'unknown');
    const ok = ops.filter((o) => o.outcome === 'ok');
    // Half the requests hang 700 ms > 300 ms; their records end at the timeout, not at the response.
    expect(unknown.length).toBeGreaterThan(ops.length * 0.3);
    expect(unknown.length).toBeLessThan(ops.length * 0.7);
    for (const o of unknown) expect(o.endMs - o.startMs).toBeLessThan(450);
    expect(ok.every((o) => o.endMs - o.startMs < 300)).toBe(true);
    const s = probe.summary?.() as { autocannon: { timeouts: number } };
    expect(s.autocannon.timeouts).toBe(0);
  });

  it('keeps its schedule when every answer is slower than the timeout (gives up, as a client would)', async () => {
    // 20 requests per second, each answered after 1.5 s against a 1 s timeout: without giving up
    // on the connection, each of the 20 connections could send only every 1.5 s (13 per second).
    const port = await server();
    const probe = await httpLoad.start(
      context(port),
      httpLoadParams.parse({ path: '/slower-than-timeout' }),
      common(50),
    );
    await sleep(4000);
    await probe.stop();
    const ops = probe.ops();
    const inWindow = ops.filter((o) => o.startMs >= 1000 && o.startMs < 4000);
    expect(inWindow.length).toBeGreaterThanOrEqual(54);
    expect(inWindow.every((o) => o.outcome === 'unknown')).toBe(true);
  });
});
