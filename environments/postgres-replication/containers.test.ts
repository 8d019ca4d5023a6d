// postgres-replication on the containers provider, against the real engine and chaos-harness/postgres:
// node2 streams through the bridge forwarder into the host's fault proxy, a latency toxic delays
// it, a docker kill of node1 promotes node2, and nothing of the run is left. Skips (saying why)
// only where no Docker engine answers or the image was never built.
import { describe, expect, it } from 'vitest';
import { ContainerRuntime } from '../../src/providers/containers/runtime.js';
import { engineForTests, NOTHING_LEFT, runLeftovers } from '../../src/testing/containers.js';
import { PG_IMAGE } from './container-pair.js';
import postgresReplication, { postgresReplicationOptions } from './environment.js';
import { testContext } from './test-context.js';
import { checkLinkAndPromotion, type Listeners, refused } from './test-support.js';

const { docker, skip } = await engineForTests('postgres-replication containers test', [PG_IMAGE]);

describe.skipIf(skip !== undefined)('postgres-replication on the containers provider', () => {
  it('streams through the forwarder and the proxy, where latency delays the standby, promotes it after a kill, leaves nothing', async () => {
    using ctx = testContext();
    ctx.provider = 'containers';
    let ports: Listeners;
    {
      await using runtime = await ContainerRuntime.open(ctx.runId);
      ctx.containers = runtime;
      await using env = await postgresReplication.start(
        ctx,
        postgresReplicationOptions.parse({ promoteDelayMs: 200 }),
      );
      expect(env.info).toMatchObject({ provider: 'containers' });
      expect(env.services.get('node1')?.id()).toMatch(/^container [0-9a-f]{12}$/);
      // node2 reaches the proxy through the forwarder on the network's gateway.
      const forwarderPort = (env: { info: Record<string, unknown> }) =>
        Number(/→ [\d.]+:(\d+) \(bridge forwarder/.exec(String(env.info.throughFaultProxy))?.[1]);
      ports = await checkLinkAndPromotion(ctx, env, forwarderPort);
      expect((await runLeftovers(docker!, ctx.runId)).containers).not.toEqual([]);
    }
    expect(await runLeftovers(docker!, ctx.runId)).toEqual(NOTHING_LEFT);
    expect(await refused(ports.proxyPort)).toBe(true);
    expect(await refused(ports.apiPort)).toBe(true);
  }, 120_000);
});
