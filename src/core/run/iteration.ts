// One iteration: its resources (probes, watchdog, faults) on one stack, released in reverse order
// when it ends however it ends, and its phases walked from ITERATION_PHASES.

import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadedScenario } from '../../scenario/load.js';
import { HarnessError } from '../errors.js';
import { incidentFrom } from '../incident.js';
import type { IterationResult } from '../report-model.js';
import type { Incident, RunContext, RunningProbe } from '../types.js';
import type { Kinds } from './deps.js';
import { type Injected, injectFaults } from './inject.js';
import type { IterationPlan } from './iteration-plan.js';
import { measureIteration } from './measure-iteration.js';
import { ITERATION_PHASES, type IterationPhase, type PhaseStep, walkPhases } from './phases.js';
import { ProbeWatch } from './probe-watch.js';
import type { Progress } from './progress.js';
import { type RecoveryOutcome, recover } from './recover.js';
import type { RunEvents } from './run-events.js';
import { checkSteadyState, startProbes } from './steady-state.js';

/** What the run hands every iteration. */
export interface IterationScope {
  readonly sc: LoadedScenario;
  readonly kinds: Kinds;
  readonly events: RunEvents;
  readonly progress: Progress;
  /** The run's context: its signal is the run's. */
  readonly ctx: RunContext;
}

/** One iteration as its phases fill it in; each phase reads what the earlier ones left. */
interface Iteration {
  readonly scope: IterationScope;
  readonly index: number;
  readonly plan: IterationPlan;
  readonly stack: AsyncDisposableStack;
  readonly watch: ProbeWatch;
  /** The run's context with a signal that also aborts when a probe stops working. */
  readonly ctx: RunContext;
  probes: readonly RunningProbe[];
  startMs: number;
  injected?: Injected;
  incident?: Incident;
  recovery?: RecoveryOutcome;
  result?: IterationResult;
}

function reached<T>(value: T | undefined, what: string): T {
  if (value === undefined)
    throw new HarnessError('INTERNAL', `${what} is read before the phase that sets it`);
  return value;
}

const STEPS: { readonly [P in IterationPhase]: PhaseStep<Iteration> } = {
  steady: {
    message: (it) =>
      `iteration ${it.index + 1}${it.plan.name ? ` (${it.plan.name})` : ''}: workload starting, steady state for ${it.scope.sc.spec.steadyState.duration} ms`,
    async run(it) {
      const { sc, kinds, progress } = it.scope;
      const { clock, signal } = it.ctx;
      it.startMs = clock.now();
      it.probes = await startProbes(sc, kinds, it.ctx, it.stack);
      progress.watch(it.probes);
      it.stack.defer(() => progress.watch(undefined));
      it.watch.start(it.probes);
      it.stack.use(it.watch);
      await sleep(sc.spec.steadyState.duration, undefined, { signal });
      checkSteadyState(sc, it.probes, it.startMs, clock);
    },
  },
  inject: {
    message: (it) => `injecting ${it.plan.faults.map((f) => f.kind).join(', ')}`,
    async run(it) {
      it.injected = await injectFaults(it.plan, it.scope.kinds, it.ctx, it.stack);
    },
  },
  recover: {
    message: () => 'waiting for recovery',
    async run(it) {
      const { sc, kinds, events } = it.scope;
      const { injectStartMs, tInjectMs, faults } = reached(it.injected, 'the injected faults');
      it.incident = incidentFrom(events.events, injectStartMs, faults[0]?.fault, it.index);
      const r = await recover(sc, kinds, it.ctx, it.probes, tInjectMs, it.incident);
      it.recovery = r;
      const rtoMs = r.recoveredAtMs === null ? null : Math.round(r.recoveredAtMs - tInjectMs);
      it.ctx.emit(
        'recovered',
        rtoMs === null
          ? `${sc.primaryProbe}: not recovered before the timeout`
          : `${sc.primaryProbe} healthy again ${rtoMs} ms after the fault`,
        { rtoMs },
      );
    },
  },
  observe: {
    when: (it) => it.scope.sc.spec.observe > 0,
    message: (it) => `observing ${it.scope.sc.spec.observe} ms after recovery`,
    async run(it) {
      await sleep(it.scope.sc.spec.observe, undefined, { signal: it.ctx.signal });
    },
  },
  verify: {
    message: () => 'stopping the workload and reading back acknowledged writes',
    async run(it) {
      const endMs = it.ctx.clock.now();
      // A probe that broke since the watchdog's last look still makes this iteration an ERROR.
      it.watch.stop();
      it.watch.check();
      it.ctx.signal.throwIfAborted();
      await Promise.all(it.probes.map((p) => p.stop()));
      const { tInjectMs, faults } = reached(it.injected, 'the injected faults');
      it.result = await measureIteration({
        sc: it.scope.sc,
        index: it.index,
        name: it.plan.name,
        running: it.probes,
        startMs: it.startMs,
        endMs,
        tInjectMs,
        incident: reached(it.incident, 'the incident'),
        faults,
        recovery: reached(it.recovery, 'the recovery outcome'),
        ctx: it.ctx,
      });
    },
  },
};

export async function runIteration(
  scope: IterationScope,
  plan: IterationPlan,
  index: number,
): Promise<IterationResult> {
  await using stack = new AsyncDisposableStack();
  // A probe that stops working aborts the iteration: what it would record is not a measurement.
  const watch = new ProbeWatch(scope.ctx.clock, scope.ctx.emit);
  const runSignal = scope.ctx.signal;
  const it: Iteration = {
    scope,
    index,
    plan,
    stack,
    watch,
    ctx: { ...scope.ctx, signal: AbortSignal.any([runSignal, watch.signal]) },
    probes: [],
    startMs: 0,
  };
  try {
    await walkPhases(ITERATION_PHASES, STEPS, it, scope.events);
    return reached(it.result, 'the iteration result');
  } catch (err) {
    // The run's own interruption wins; otherwise a broken probe is the reason, not the AbortError.
    if (watch.signal.aborted && !runSignal.aborted) throw watch.signal.reason;
    throw err;
  }
}
