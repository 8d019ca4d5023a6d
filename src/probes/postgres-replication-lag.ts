// Samples pg_stat_replication on the primary: how far the slowest standby is behind, in bytes
// of WAL and in seconds of replay. Each sample is one op, so an unreachable primary shows up.
import { z } from 'zod';
import type { Probe, RunningProbe } from '../core/types.js';
import { getPostgresController } from '../stacks/postgres.js';
import { queryOnce } from '../stacks/postgres-client.js';
import { runOpenLoop } from './running-open-loop.js';

export const postgresReplicationLagParams = z.strictObject({}).meta({
  description:
    'Samples pg_stat_replication on the PostgreSQL primary (postgres-ha, postgres-replication): how far the slowest standby is behind, as series lagBytes (WAL bytes), lagSeconds and lagMs (replay lag; lagMs reads as whole milliseconds in reports, where series values are shown as integers). Each sample is one operation, so an unreachable primary shows up as failures.',
  examples: [{ name: 'lag', interval: '250ms', timeout: '1s' }],
});

export type PostgresReplicationLagParams = z.infer<typeof postgresReplicationLagParams>;

// replay_lag is NULL once a standby has caught up and the primary is idle: that is 0 s behind.
const LAG_SQL = `
  select application_name as name,
         pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 as bytes,
         coalesce(extract(epoch from replay_lag), 0)::float8 as seconds
    from pg_stat_replication
   where state = 'streaming'`;

interface Sample {
  tMs: number;
  value: number;
}

export const postgresReplicationLag: Probe<PostgresReplicationLagParams> = {
  params: postgresReplicationLagParams,
  series: ['lagBytes', 'lagSeconds', 'lagMs'],
  async start(ctx, _p, common): Promise<RunningProbe> {
    const ctrl = getPostgresController(ctx.env, 'postgres-replication-lag');
    const lagBytes: Sample[] = [];
    const lagSeconds: Sample[] = [];
    const lagMs: Sample[] = [];
    let noStandby = 0;
    return runOpenLoop(
      ctx,
      'postgres-replication-lag',
      common,
      async (signal) => {
        const node = await ctrl.primary(signal);
        const rows = await queryOnce<{ name: string; bytes: number | null; seconds: number }>(
          ctrl.connectionFor(node.name),
          LAG_SQL,
          [],
          { timeoutMs: common.timeoutMs, signal },
        );
        const tMs = ctx.clock.now();
        if (rows.length === 0) {
          // Nothing streams (standby down or catching up): no lag to report, and not an error.
          noStandby++;
          return undefined;
        }
        lagBytes.push({ tMs, value: Math.max(...rows.map((r) => r.bytes ?? 0)) });
        const seconds = Math.max(...rows.map((r) => r.seconds));
        lagSeconds.push({ tMs, value: seconds });
        lagMs.push({ tMs, value: seconds * 1000 });
        return undefined;
      },
      {
        samples: () => ({ lagBytes, lagSeconds, lagMs }),
        summary: () => ({ samples: lagBytes.length, samplesWithoutStandby: noStandby }),
      },
    );
  },
};
