// Local processes: bring-up, the link through the proxy (test-support.ts), promotion after a
// kill, and dispose leaves no process, no data directory and no listener behind.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markedProcesses } from '../../src/providers/local/run-registry.js';
import postgresReplication, { postgresReplicationOptions } from './environment.js';
import { testContext } from './test-context.js';
import { checkLinkAndPromotion, type Listeners, refused } from './test-support.js';

describe('postgres-replication environment', () => {
  it('streams through the proxy, where latency delays the standby, promotes it after a kill, leaves nothing', async () => {
    using ctx = testContext();
    const dataDir = join(ctx.workDir, 'postgres-replication', 'node1');
    let ports: Listeners;
    {
      await using env = await postgresReplication.start(
        ctx,
        postgresReplicationOptions.parse({ promoteDelayMs: 200 }),
      );
      expect(existsSync(dataDir)).toBe(true);
      ports = await checkLinkAndPromotion(
        ctx,
        env,
        (e) => (e.info.ports as { replicationProxy: number }).replicationProxy,
      );
    }
    expect(markedProcesses(ctx.runId)).toEqual([]);
    expect(existsSync(dataDir)).toBe(false);
    expect(await refused(ports.proxyPort)).toBe(true);
    expect(await refused(ports.apiPort)).toBe(true);
  }, 90_000);
});
