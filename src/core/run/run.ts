// A run end to end: claim the report directory, open the provider's run, bring the environment up,
// walk the iterations, tear down, build the report. Everything the run acquires goes on one stack
// and is released in reverse order on success, failure and interruption.

import 'disposablestack/auto';
import type { LoadedScenario } from '../../scenario/load.js';
import { createClock } from '../clock.js';
import { errorMessage, toHarnessError } from '../errors.js';
import type { ProviderRun } from '../provider.js';
import type { HistoryContext } from '../relative-bound.js';
import type { IterationResult, RunReport } from '../report-model.js';
import type { ProviderName, RunContext } from '../types.js';
import { betweenIterations } from './between-iterations.js';
import { behindSchedule, buildReport, type RunError } from './build-report.js';
import type { RunDeps } from './deps.js';
import { EnvironmentSlot } from './environment-slot.js';
import { startFacts } from './facts.js';
import { runIteration } from './iteration.js';
import { planIterations } from './iteration-plan.js';
import { type ProgressSink, startProgress } from './progress.js';
import { RunEvents } from './run-events.js';

export interface RunOptions {
  scenario: LoadedScenario;
  /** The report directory; claimed for this run (deps.claimRunDir) before anything starts. */
  runDir: string;
  /** Names the run to its provider, which marks what it starts with it. */
  runId: string;
  /** Overrides the scenario's repeat (when it uses faults + repeat). */
  repeat?: number | undefined;
  progress?: ProgressSink | undefined;
  /** Aborted on Ctrl-C / SIGTERM: the run stops, tears down and reports ERROR. */
  signal?: AbortSignal | undefined;
  /** How the services run; default: the scenario's `provider`, else local. */
  provider?: ProviderName | undefined;
  /** Who runs it, for the report (default: CHAOS_HARNESS_OPERATOR, else the OS user). */
  operator?: string | undefined;
  /** Earlier runs of the scenario: the report's history section and the relative bounds' baseline. */
  history?: HistoryContext | undefined;
}

/** `info.versions` of the environment: server name → version, as it read them from its binaries. */
function versionsOf(info: Record<string, unknown> | undefined): Record<string, string> {
  const v = info?.versions;
  if (typeof v !== 'object' || v === null) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** Run a scenario end to end. Never throws for failures of the run: they become an `error` report. */
export async function runLifecycle(opts: RunOptions, deps: RunDeps): Promise<RunReport> {
  const sc = opts.scenario;
  const providerName: ProviderName = opts.provider ?? sc.spec.provider ?? 'local';
  const provider = deps.providers[providerName];
  // An environment without a variant for this provider is bad input: said before anything starts.
  await provider.checkEnvironment({ name: sc.envName, dir: sc.envDir });
  const clock = createClock();
  const startedAt = clock.isoAt(0);
  const { runId, runDir } = opts;
  const facts = startFacts({
    runId,
    operator: opts.operator,
    scenarioFile: sc.file,
    provider: providerName,
    environmentOptions: sc.spec.environmentOptions,
  });
  const signal = opts.signal ?? new AbortController().signal;
  const plan = planIterations(sc, opts.repeat);
  const events = new RunEvents(clock, opts.progress);
  const iterations: IterationResult[] = [];
  let error: RunError | undefined;
  let run: ProviderRun | undefined;
  let slot: EnvironmentSlot | undefined;
  {
    await using stack = new AsyncDisposableStack();
    // Refused here, before anything starts, when a live run writes to the same directory.
    stack.use(deps.claimRunDir(runDir, runId, sc.name));
    // Every provider's sweep: a SIGKILLed run of either kind is cleaned up by the next run of any.
    for (const p of Object.values(deps.providers)) await p.sweep(events.log);
    const opened = await provider.open({ runId, scenario: sc.name });
    run = opened;
    stack.defer(async () => {
      const leaked = await opened.close((m) => events.emit('error', m));
      if (leaked) events.emit('leak', leaked);
      events.emit('done', 'torn down: no process of this run is left');
    });
    slot = stack.use(new EnvironmentSlot(events));
    const progress = stack.use(
      startProgress({
        sink: opts.progress,
        clock,
        events,
        repeat: plan.length,
        primaryProbe: sc.primaryProbe,
      }),
    );
    try {
      const env = await slot.bringUp(
        opened,
        { name: sc.envName, dir: sc.envDir, options: sc.spec.environmentOptions, scenarioFile: sc.file },
        { runDir, clock, signal },
      );
      const ctx: RunContext = {
        env,
        clock,
        signal,
        log: events.log,
        emit: events.emit,
        runDir,
        ...(opened.commands ? { commands: opened.commands } : {}),
      };
      for (const [i, iterationPlan] of plan.entries()) {
        events.iteration = i;
        const result = await runIteration({ sc, kinds: deps.kinds, events, progress, ctx }, iterationPlan, i);
        iterations.push(result);
        if (result.error) break;
        await betweenIterations({ sc, ctx, last: i === plan.length - 1 }, events);
      }
      events.iteration = undefined;
      const failed = iterations.find((it) => it.error);
      if (failed) error = { code: 'ITERATION_FAILED', message: failed.error as string };
      // Figures from a probe that fell behind its own schedule decide nothing.
      const behind = error ? undefined : behindSchedule(sc, iterations);
      if (behind) {
        error = { code: behind.code, message: behind.message };
        events.emit('probe-behind-schedule', behind.message, { probe: behind.probe });
      }
    } catch (err) {
      error = toRunError(err, signal);
      events.emit('error', error.message);
    }
    events.iteration = undefined;
  }
  return buildReport({
    sc,
    provider: providerName,
    clock,
    startedAt,
    runDir,
    repeat: plan.length,
    iterations,
    events: events.events,
    error,
    info: { ...(slot.env?.info ?? {}), ...run.info() },
    facts: facts.finish(versionsOf(slot.env?.info)),
    history: opts.history,
  });
}

function toRunError(err: unknown, signal: AbortSignal): RunError {
  if (signal.aborted) {
    const reason = signal.reason === undefined ? 'interrupted' : errorMessage(signal.reason);
    return { code: 'INTERRUPTED', message: `interrupted: ${reason}` };
  }
  const h = toHarnessError(err);
  return { code: h.code, message: h.message };
}
