import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markedProcesses } from '../../src/providers/local/run-registry.js';
import { getPostgresController } from '../../src/stacks/postgres.js';
import { serviceRoles, waitFor } from '../../src/testing/wait.js';
import postgresHa, { postgresHaOptions } from './environment.js';
import { checkBinaries } from './settings.js';
import { testContext } from './test-context.js';

describe('postgres-ha environment', () => {
  it('comes up with live roles, fails over after a node crash, takes the node back, leaves nothing', async () => {
    using ctx = testContext();
    let dataDir = '';
    {
      await using env = await postgresHa.start(ctx, postgresHaOptions.parse({}));
      const pg = getPostgresController(env, 'test');
      dataDir = join(ctx.workDir, 'postgres-ha', 'node1');
      expect(existsSync(dataDir)).toBe(true);
      expect(env.info.bringUpMs).toBeGreaterThan(0);
      // Read from the binaries the run started.
      expect(env.info.versions).toMatchObject({
        postgres: expect.stringMatching(/^postgres \(PostgreSQL\) 15\./),
        pg_autoctl: expect.stringMatching(/^pg_autoctl version \d/),
      });
      expect(env.info.bringUpMs).toBeLessThan(60_000);
      // Topology and synchronous replication as the running formation has them.
      expect(env.info.topology).toBe(
        'pg_auto_failover monitor + 2 data nodes: primary node1, 1 standby node2 (replica)',
      );
      expect(env.info.synchronousReplication).toMatch(
        /^synchronous_standby_names = 'ANY 1 \(pgautofailover_standby_2\)', synchronous_commit = on, number_sync_standbys = [01] /,
      );
      expect(await serviceRoles(env)).toEqual({ monitor: 'monitor', node1: 'primary', node2: 'replica' });
      expect((await pg.primary()).name).toBe('node1');
      expect((await pg.writablePrimary())?.name).toBe('node1');
      expect((await env.resolve({ role: 'replica' })).name).toBe('node2');

      const t0 = performance.now();
      await env.services.get('node1')?.kill('SIGKILL');
      expect(env.services.get('node1')?.running()).toBe(false);
      const promoted = await waitFor(
        'node2 writable',
        async () => ((await pg.writablePrimary())?.name === 'node2' ? true : undefined),
        30_000,
        20,
      );
      expect(promoted).toBe(true);
      // Tuned monitor settings: ~1.5-3 s on an idle machine; the bound leaves room for a loaded one.
      expect(performance.now() - t0).toBeLessThan(20_000);
      expect(await env.services.get('node1')?.role()).toBe('stopped');

      await pg.restartNode('node1', AbortSignal.timeout(60_000));
      expect(await serviceRoles(env)).toEqual({ monitor: 'monitor', node1: 'replica', node2: 'primary' });
      // The crashed primary is recovered before pg_autoctl takes it back, so pg_rewind (not a
      // full pg_basebackup) brings it back, and the report says which it was.
      const rejoin = ctx.events.find((e) => e.type === 'rejoin');
      expect(rejoin?.message).toMatch(/^node1 rejoined by pg_rewind/);
      expect(rejoin?.data).toMatchObject({ node: 'node1', method: 'pg_rewind' });
    }
    // Disposed: no process of this run, no data directory.
    expect(markedProcesses(ctx.runId)).toEqual([]);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('names the Debian package of a missing binary', () => {
    expect(() => checkBinaries()).not.toThrow();
    expect(() => checkBinaries([['/nonexistent/pg_autoctl', 'pg-auto-failover-cli']])).toThrow(
      /\/nonexistent\/pg_autoctl.*install the Debian package pg-auto-failover-cli/,
    );
  });
});
