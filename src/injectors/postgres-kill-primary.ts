// Crash the PostgreSQL primary. `node` kills the keeper and postgres together (a machine dying):
// the pg_auto_failover monitor promotes a standby. `postmaster` kills only postgres: the keeper
// restarts it in place, or the monitor fails over when the keeper reported it down first.
// Dispose brings a killed node back as a standby so `repeat: N` starts from a healthy formation.
import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
import type { InjectedFault, Injector } from '../core/types.js';
import { positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';
import { getPostgresController } from '../stacks/postgres.js';

export const postgresKillPrimaryParams = withMsNames(
  z
    .strictObject({
      mode: z
        .enum(['node', 'postmaster'])
        .default('node')
        .describe(
          'node: SIGKILL the keeper and postgres together (a machine dying); postmaster: postgres only, the keeper stays',
        ),
      restart: z
        .boolean()
        .default(true)
        .describe('when reverted, bring the node back as a standby and wait for a healthy formation'),
      rejoinTimeout: positiveDuration
        .default(60_000)
        .describe('bound on the restart and rejoin when reverted'),
    })
    .meta({
      description:
        'Crashes the PostgreSQL primary of postgres-ha (pg_auto_failover). With mode node the monitor promotes a standby; with postmaster the keeper restarts postgres in place, or the monitor fails over when the keeper reported it down first (the details say which).',
      examples: [{ target: { role: 'primary' }, mode: 'node' }],
    }),
  ['rejoinTimeout'],
);

export type PostgresKillPrimaryParams = z.infer<typeof postgresKillPrimaryParams>;

export const postgresKillPrimary: Injector<PostgresKillPrimaryParams> = {
  params: postgresKillPrimaryParams,
  describe: (p) =>
    p.mode === 'node'
      ? 'SIGKILL the PostgreSQL primary node (keeper + postgres)'
      : 'SIGKILL the PostgreSQL primary postmaster (keeper stays)',
  async inject(ctx, p, target): Promise<InjectedFault> {
    const ctrl = getPostgresController(ctx.env, 'postgres-kill-primary');
    const node =
      target.service !== undefined || target.role !== undefined
        ? (await ctx.env.resolve(target, ctx.signal)).name
        : (await ctrl.primary(ctx.signal)).name;
    if (!ctrl.nodes.includes(node)) {
      throw new HarnessError('INJECTION_FAILED', `postgres-kill-primary: ${node} is not a data node`);
    }
    const killed = p.mode === 'node' ? await ctrl.killNode(node) : await ctrl.killPostmaster(node);
    const killedAt = ctx.clock.now();
    const details: Record<string, unknown> = { node, mode: p.mode, ...killed.details };
    const what = p.mode === 'node' ? 'node (keeper + postgres)' : 'postmaster';
    const description = `SIGKILL to primary ${node} ${what} (${killed.what})`;
    ctx.emit('postgres-primary-killed', description, details);
    return {
      description,
      reversible: false,
      details,
      async [Symbol.asyncDispose]() {
        // Interrupted run: teardown stops everything; restarting now would only slow it down.
        if (!p.restart || ctx.signal.aborted) return;
        const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(p.rejoinTimeoutMs)]);
        const t0 = ctx.clock.now();
        try {
          if (!ctrl.running(node)) await ctrl.restartNode(node, signal);
          await ctrl.waitHealthy(signal);
        } catch (cause) {
          throw new HarnessError(
            'RECOVERY_FAILED',
            `postgres-kill-primary: ${node} did not rejoin within ${p.rejoinTimeoutMs}ms`,
            { cause },
          );
        }
        details.rejoinMs = ctx.clock.now() - t0;
        const primaryNow = (await ctrl.primary(signal)).name;
        details.primaryAfter = primaryNow;
        if (p.mode === 'postmaster') {
          // The same primary afterwards is not yet a local restart: the monitor may have run a
          // failover election that chose the restarted node again (seen with 2 standbys).
          const steps = (await ctrl.failoverStepsSince?.(ctx.clock.now() - killedAt + 1000, signal)) ?? [];
          details.outcome =
            primaryNow !== node
              ? 'monitor failed over'
              : steps.length > 0
                ? `monitor ran a failover and re-elected ${node}`
                : 'restarted locally';
          if (steps.length > 0) details.failoverSteps = steps;
        }
        ctx.emit('postgres-rejoined', `${node} back in the formation; primary is ${primaryNow}`, {
          node,
          primaryAfter: primaryNow,
          rejoinMs: details.rejoinMs,
          ...(details.outcome !== undefined ? { outcome: details.outcome } : {}),
        });
      },
    };
  },
};
