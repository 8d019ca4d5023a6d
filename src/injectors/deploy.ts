// Fault kind `deploy`: run a deploy pipeline (the system under test) that ships a given version,
// and record what it did. The environment provides the pipeline under the DEPLOY extension.
// inject() returns once the pipeline has started (its first STEP line), so t_inject is the start of
// the deploy; `ended` resolves when the pipeline exits. How the pipeline is run (a process of the
// harness's host, with the run's marker) is the environment's business: the injector only sees a
// PipelineRun, and reports no pid or anything else of a provider.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { HarnessError } from '../core/errors.js';
import type { InjectedFault, Injector, RecoveryStep, RunContext, StartedEnvironment } from '../core/types.js';
import { positiveDuration } from '../scenario/duration.js';
import { withMsNames } from '../scenario/ms-names.js';
import { DEPLOY, type DeployPipeline } from '../stacks/deploy.js';
import { type DeployLine, LogFollower, parseDeployLine } from './deploy-output.js';

export const deployParams = withMsNames(
  z
    .strictObject({
      version: z.string().min(1).describe('the version to ship, passed as --version'),
      command: z
        .array(z.string())
        .min(1)
        .optional()
        .describe("the pipeline's program and arguments (default: the environment's deploy command)"),
      extraArgs: z.array(z.string()).default([]).describe('added after --version (e.g. [--no-rollback])'),
      timeout: positiveDuration.default(300_000).describe('the pipeline is stopped after this long'),
      startTimeout: positiveDuration.default(15_000).describe("waiting for the pipeline's first STEP line"),
      restoreOnDispose: z
        .boolean()
        .default(true)
        .describe('when reverted, undo a failed deploy the pipeline left live (e.g. with --no-rollback)'),
    })
    .meta({
      description:
        "Runs the environment's deploy pipeline (app-bluegreen) to ship a version, and records its steps (switch, rollback, switch-back). The fault starts with the pipeline's first step and ends when it exits; its rollback counts as recovery steps, so recovery-time is measurable.",
      examples: [{ version: 'errors-after-switch', extraArgs: ['--no-rollback'] }],
    }),
  ['timeout', 'startTimeout'],
);
export type DeployParams = z.infer<typeof deployParams>;

export interface RecordedStep {
  name: string;
  status: string;
  /** Run clock. */
  tMs: number;
  at: string;
  detail: string;
}

function deployPipeline(env: StartedEnvironment): DeployPipeline {
  return env.extensions.require(DEPLOY, { env: env.name, who: 'deploy', code: 'INJECTION_FAILED' });
}

/**
 * `value` after `ms` unless `done` settles first; the timer is cancelled either way (a pending
 * 5-minute timer would keep the harness process alive after the run).
 */
async function timeoutAfter<T>(
  ms: number,
  value: T,
  done: Promise<unknown>,
  signal: AbortSignal,
): Promise<T> {
  const ac = new AbortController();
  void done.finally(() => ac.abort());
  return sleep(ms, value, { signal: AbortSignal.any([signal, ac.signal]) });
}

/** Milliseconds between two step events, or null when either is missing. */
const span = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.round(b - a));

async function inject(ctx: RunContext, params: DeployParams): Promise<InjectedFault> {
  const { clock, signal } = ctx;
  const ext = deployPipeline(ctx.env);
  const argv = [...(params.command ?? ext.command), '--version', params.version, ...params.extraArgs];
  const before = await ext.liveVersion(signal);
  const logFile = join(ext.logDir, `deploy-${params.version}-${Date.now()}.log`);
  const steps: RecordedStep[] = [];
  const details: Record<string, unknown> = {
    version: params.version,
    command: argv.join(' '),
    log: logFile,
    liveBefore: before,
    steps,
  };
  let result: Extract<DeployLine, { type: 'result' }> | undefined;
  let firstStep: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    firstStep = resolve;
  });
  const follower = new LogFollower(logFile, (line) => {
    const parsed = parseDeployLine(line);
    if (!parsed) return;
    // The line's own wall time, moved onto the run clock: poll lag does not skew step times.
    const tMs = Math.min(clock.now(), clock.now() - (Date.now() - Date.parse(parsed.at)));
    if (parsed.type === 'result') {
      result = parsed;
      ctx.emit('deploy-result', `deploy ${params.version}: ${parsed.outcome} ${parsed.detail}`, { tMs });
      return;
    }
    steps.push({ name: parsed.name, status: parsed.status, tMs, at: parsed.at, detail: parsed.detail });
    ctx.emit('deploy-step', `${parsed.name} ${parsed.status}${parsed.detail ? `: ${parsed.detail}` : ''}`, {
      step: parsed.name,
      status: parsed.status,
      tMs,
    });
    firstStep();
  });

  details.startedMs = clock.now();
  const proc = ext.run(argv, { name: `deploy ${params.version}`, logFile });
  const exited = proc.exited;
  const startOrExit = Promise.race([
    started.then(() => 'started' as const),
    exited.then(() => 'exited' as const),
  ]);
  const startWait = await Promise.race([
    startOrExit,
    timeoutAfter(params.startTimeoutMs, 'timeout' as const, startOrExit, signal),
  ]).catch(() => 'aborted' as const);
  if (startWait !== 'started') {
    await proc.stop(2000);
    await follower.close();
    const why = proc.startError?.message ?? `${startWait} before printing a STEP line (see ${logFile})`;
    throw new HarnessError('INJECTION_FAILED', `deploy pipeline for ${params.version}: ${why}`);
  }

  const stepAt = (name: string, status: string) =>
    steps.find((s) => s.name === name && s.status === status)?.tMs ?? null;
  const finish = async () => {
    const outcome = await Promise.race([
      exited.then((e) => ({ kind: 'exited' as const, ...e })),
      timeoutAfter(params.timeoutMs, { kind: 'timeout' as const }, exited, signal),
    ]).catch(() => ({ kind: 'aborted' as const }));
    if (outcome.kind !== 'exited') await proc.stop(2000);
    const exit = await exited;
    await follower.close();
    const endedMs = clock.now();
    const switchedAtMs = stepAt('switch', 'ok');
    const rollbackStartedMs = stepAt('rollback', 'start');
    const rollbackCompletedMs = stepAt('rollback', 'ok');
    Object.assign(details, {
      endedMs,
      durationMs: Math.round(endedMs - (details.startedMs as number)),
      exitCode: exit.code,
      exitSignal: exit.signal,
      outcome: outcome.kind === 'exited' ? (result?.outcome ?? 'unknown') : outcome.kind,
      resultDetail: result?.detail,
      switchedAtMs,
      rollbackStartedMs,
      rollbackCompletedMs,
      trafficRestoredMs: stepAt('switch-back', 'ok'),
      rollbackMs: span(details.startedMs as number, rollbackCompletedMs),
    });
    if (rollbackStartedMs !== null && rollbackCompletedMs !== null) {
      const recoverySteps: RecoveryStep[] = [
        {
          name: 'detect (deploy start to rollback decision)',
          startMs: details.startedMs as number,
          endMs: rollbackStartedMs,
        },
        { name: 'rollback', startMs: rollbackStartedMs, endMs: rollbackCompletedMs },
      ];
      details.recoverySteps = recoverySteps;
    }
    if (switchedAtMs !== null && details.trafficRestoredMs !== null) {
      details.badTrafficMs = span(switchedAtMs, details.trafficRestoredMs as number);
    }
    ctx.emit(
      'deploy-end',
      `deploy ${params.version} ended: ${details.outcome} (exit ${exit.code ?? exit.signal})`,
      {
        tMs: endedMs,
      },
    );
  };
  const ended = finish();

  return {
    description: `deploy version ${params.version} (${argv.slice(1).join(' ')})`,
    reversible: true,
    details,
    ended,
    async [Symbol.asyncDispose]() {
      if (proc.running) await proc.stop(5000);
      await ended;
      if (!params.restoreOnDispose || details.outcome === 'deployed') return;
      const now = await ext.liveVersion();
      if (now.slot === before.slot) return;
      // The pipeline left a failed version live (rollback disabled): the harness undoes it.
      await ext.restore(before.slot);
      const t = clock.now();
      details.restoredByHarnessMs = t;
      if (details.trafficRestoredMs === null) details.trafficRestoredMs = t;
      if (typeof details.switchedAtMs === 'number') details.badTrafficMs = span(details.switchedAtMs, t);
      ctx.emit('deploy-restore', `harness restored traffic to ${before.slot} (version ${before.version})`, {
        tMs: t,
      });
    },
  };
}

export const deploy: Injector<DeployParams> = {
  runsOwnRecovery: true,
  params: deployParams,
  describe: (p) => `deploy version ${p.version}`,
  inject: (ctx, params) => inject(ctx, params),
};
