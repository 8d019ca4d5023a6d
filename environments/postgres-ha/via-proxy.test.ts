// viaProxy: client connections cross the fault proxy (a latency toxic slows them), the harness's
// own checks keep the real ports, and dispose leaves no process and no listening proxy behind.
import { connect } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { networkLatency } from '../../src/injectors/network-latency.js';
import { markedProcesses } from '../../src/providers/local/run-registry.js';
import { FAULT_PROXY } from '../../src/proxy/index.js';
import { getPostgresController } from '../../src/stacks/postgres.js';
import { clientConfig, queryOnce } from '../../src/stacks/postgres-client.js';
import postgresHa, { postgresHaOptions } from './environment.js';
import { testContext } from './test-context.js';

/** Median time of `n` sequential INSERTs (each a synchronously replicated commit) on one connection. */
async function medianWriteMs(client: pg.Client, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await client.query('insert into via_proxy (k) values (default)');
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)] as number;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('postgres-ha with viaProxy', () => {
  it('routes client writes through the proxy, where a latency toxic slows them, and leaves nothing', async () => {
    using ctx = testContext();
    let clientPort = 0;
    let apiUrl = '';
    {
      await using env = await postgresHa.start(ctx, postgresHaOptions.parse({ viaProxy: true }));
      const ctrl = getPostgresController(env, 'test');
      const routing = env.extensions.get(FAULT_PROXY)!;
      apiUrl = routing.apiUrl;
      expect(routing.proxiesFor('node1')).toEqual(['node1']);
      expect(routing.proxiesFor('node2')).toEqual(['node2']);
      const node1 = env.services.get('node1');
      const direct = node1?.endpoints.direct?.port;
      clientPort = ctrl.connectionFor('node1').port;
      expect(clientPort).toBe(node1?.endpoints.postgres?.port);
      expect(direct).toBeDefined();
      expect(clientPort).not.toBe(direct);

      const primary = await ctrl.writablePrimary();
      expect(primary?.name).toBe('node1');
      expect(primary?.port).toBe(direct);
      const client = new pg.Client(clientConfig(ctrl.connectionFor('node1'), 5000));
      await client.connect();
      try {
        await client.query('create table via_proxy (k serial primary key)');
        const before = await medianWriteMs(client, 15);

        const params = networkLatency.params.parse({ latency: 150 });
        const fault = await networkLatency.inject(ctx.runContext(env), params, { role: 'primary' });
        expect(fault.details.proxies).toEqual(['node1']);
        const during = await medianWriteMs(client, 8);
        // The harness's own checks use the real port: not slowed by the toxic.
        const t0 = performance.now();
        expect((await ctrl.writablePrimary())?.name).toBe('node1');
        await queryOnce({ ...ctrl.connectionFor('node1'), port: direct as number }, 'select 1');
        const directMs = performance.now() - t0;
        await fault[Symbol.asyncDispose]();
        const after = await medianWriteMs(client, 15);

        expect(during).toBeGreaterThanOrEqual(before + 140);
        expect(directMs).toBeLessThan(140);
        expect(after).toBeLessThan(during - 100);
      } finally {
        await client.end();
      }
    }
    expect(markedProcesses(ctx.runId)).toEqual([]);
    expect(await refused(clientPort)).toBe(true);
    expect(await refused(Number(new URL(apiUrl).port))).toBe(true);
  }, 40_000);
});
