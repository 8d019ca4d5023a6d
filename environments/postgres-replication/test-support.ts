// Shared by the local and the containers test: the replication stream crosses the fault proxy,
// a latency toxic on the primary's proxy delays what node2 sees by that much while commits on node1
// stay fast, and a kill of the primary promotes node2.
import { connect } from 'node:net';
import pg from 'pg';
import { expect } from 'vitest';
import type { StartedEnvironment } from '../../src/core/types.js';
import { networkLatency } from '../../src/injectors/network-latency.js';
import { FAULT_PROXY } from '../../src/proxy/index.js';
import { getPostgresController } from '../../src/stacks/postgres.js';
import { clientConfig, queryOnce } from '../../src/stacks/postgres-client.js';
import { serviceRoles, waitFor } from '../../src/testing/wait.js';
import type { TestContext } from './test-context.js';

/** Time from a commit on node1 until node2 can read the row (polled every 5 ms). */
async function visibleAfterMs(
  primary: pg.Client,
  standby: pg.Client,
  k: number,
): Promise<{ commitMs: number; visibleMs: number }> {
  const t0 = performance.now();
  await primary.query('insert into lag_test (k) values ($1)', [k]);
  const commitMs = performance.now() - t0;
  for (;;) {
    const r = await standby.query('select 1 from lag_test where k = $1', [k]);
    if (r.rowCount === 1) return { commitMs, visibleMs: performance.now() - t0 };
    if (performance.now() - t0 > 10_000) throw new Error(`row ${k} not on node2 after 10 s`);
    await new Promise((res) => setTimeout(res, 5));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** The ports the test checks are closed after dispose. */
export interface Listeners {
  proxyPort: number;
  apiPort: number;
}

/**
 * `walreceiverPort`: the port node2's walreceiver must be connected to (the proxy's listener
 * locally, the bridge forwarder's in containers).
 */
export async function checkLinkAndPromotion(
  ctx: TestContext,
  env: StartedEnvironment,
  walreceiverPort: (env: StartedEnvironment) => number,
): Promise<Listeners> {
  const ctrl = getPostgresController(env, 'test');
  expect(env.info.versions).toMatchObject({
    postgres: expect.stringMatching(/^postgres \(PostgreSQL\) 15\./),
  });
  expect(await serviceRoles(env)).toEqual({ node1: 'primary', node2: 'replica' });
  const routing = env.extensions.get(FAULT_PROXY)!;
  expect(routing.proxiesFor('node1')).toEqual(['replication-node2']);
  expect(routing.proxiesFor('node2')).toEqual([]);
  const apiPort = Number(new URL(routing.apiUrl).port);
  const proxyPort = (env.info.ports as { replicationProxy: number }).replicationProxy;
  // node2's walreceiver is connected to the proxy's port, not to node1's.
  const [rcv] = await queryOnce<{ status: string; port: number }>(
    ctrl.connectionFor('node2'),
    'select status, sender_port as port from pg_stat_wal_receiver',
  );
  expect(rcv).toEqual({ status: 'streaming', port: walreceiverPort(env) });

  const primary = new pg.Client(clientConfig(ctrl.connectionFor('node1'), 15_000));
  const standby = new pg.Client(clientConfig(ctrl.connectionFor('node2'), 15_000));
  await primary.connect();
  await standby.connect();
  try {
    await primary.query('create table lag_test (k int primary key)');
    await waitFor(
      'table on node2',
      async () =>
        (await standby.query("select to_regclass('lag_test') as t")).rows[0]?.t ? true : undefined,
      10_000,
    );
    let k = 0;
    const before: number[] = [];
    for (let i = 0; i < 9; i++) before.push((await visibleAfterMs(primary, standby, ++k)).visibleMs);

    const params = networkLatency.params.parse({ latency: 600 });
    const fault = await networkLatency.inject(ctx.runContext(env), params, { role: 'primary' });
    expect(fault.details.proxies).toEqual(['replication-node2']);
    const during: { commitMs: number; visibleMs: number }[] = [];
    try {
      for (let i = 0; i < 5; i++) during.push(await visibleAfterMs(primary, standby, ++k));
    } finally {
      await fault[Symbol.asyncDispose]();
    }
    const after: number[] = [];
    for (let i = 0; i < 9; i++) after.push((await visibleAfterMs(primary, standby, ++k)).visibleMs);

    // Asynchronous replication: the commit does not wait, the standby sees it >= 600 ms later.
    expect(median(before)).toBeLessThan(300);
    expect(Math.min(...during.map((d) => d.visibleMs))).toBeGreaterThanOrEqual(590);
    expect(median(during.map((d) => d.commitMs))).toBeLessThan(300);
    expect(median(after)).toBeLessThan(300);
  } finally {
    await primary.end();
    await standby.end();
  }

  // A crash of the primary: node2 is promoted (autoPromote, 200 ms) and takes writes.
  await env.services.get('node1')?.kill('SIGKILL');
  expect(env.services.get('node1')?.running()).toBe(false);
  // The event comes once pg_promote returned and node2 accepted a write.
  const promoted = await waitFor(
    'promoted event',
    () => ctx.events.find((e) => e.type === 'promoted'),
    30_000,
    20,
  );
  expect((await ctrl.writablePrimary())?.name).toBe('node2');
  expect(await serviceRoles(env)).toEqual({ node1: 'stopped', node2: 'primary' });
  expect(promoted?.data).toMatchObject({ node: 'node2' });
  expect(promoted?.data?.afterExitMs).toBeGreaterThanOrEqual(200);
  // The old primary cannot simply come back after a promotion: a clear error, not a split brain.
  await expect(ctrl.restartNode('node1', AbortSignal.timeout(5000))).rejects.toThrow(/pg_rewind/);
  return { proxyPort, apiPort };
}

/** True when nothing listens on the loopback port any more. */
export function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}
