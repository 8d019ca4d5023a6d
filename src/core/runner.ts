import 'disposablestack/auto';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import getPort from 'get-port';
import { builtinActions } from '../actions/index.js';
import { builtinInjectors } from '../injectors/index.js';
import { builtinProbes } from '../probes/index.js';
import { builtinProviders } from '../providers/index.js';
import type { ProviderRun } from '../providers/provider.js';
import { requireProvider, startEnvironment } from '../providers/start-environment.js';
import { claimRunDir, defaultRunDir, newRunId } from '../report/run-dir.js';
import type { LoadedScenario, ResolvedFault } from '../scenario/load.js';
import { createClock } from './clock.js';
import { errorMessage, HarnessError, toHarnessError } from './errors.js';
import { DEFINITIONS, evaluateTargets, runVerdict } from './evaluate.js';
import { exitCodeOf, judgeExpectation } from './expectation.js';
import { WAIT_HEALTHY } from './extensions.js';
import { incidentFrom } from './incident.js';
import { type IterationProbes, measureIteration } from './measure-iteration.js';
import { computeMttr, computeRto } from './metrics.js';
import { probeFailure } from './probe-health.js';
import type { IterationResult, RunReport, TargetResult, Verdict } from './report-model.js';
import type {
  AnyInjector,
  AnyProbe,
  AnyRecoveryAction,
  Clock,
  Incident,
  InjectedFault,
  ProviderName,
  RunContext,
  RunEvent,
  RunningProbe,
  StartedEnvironment,
} from './types.js';

export const TOOL = { name: 'chaos-harness', version: '0.1.0' };

/** A twice-a-second picture of a running scenario, for progress output. */
export interface ProgressStatus {
  phase: string;
  /** 1-based. */
  iteration: number;
  repeat: number;
  opsPerSec: number;
  failureStreak: number;
  elapsedMs: number;
}

export interface ProgressSink {
  event(e: RunEvent): void;
  status(s: ProgressStatus): void;
}

export interface RunOptions {
  scenario: LoadedScenario;
  /** Report directory; default <runsDir>/<scenario>-<timestamp>-<run id>. */
  outDir?: string | undefined;
  /** Where default report directories go (default: runs/ in the working directory). */
  runsDir?: string | undefined;
  /** Overrides the scenario's repeat (when it uses faults + repeat). */
  repeat?: number | undefined;
  progress?: ProgressSink | undefined;
  /** Aborted on Ctrl-C / SIGTERM: the run stops, tears down and reports ERROR. */
  signal?: AbortSignal | undefined;
  /** Marks every process of the run (default: generated; env CHAOS_HARNESS_RUN_ID). Tests use it. */
  runId?: string | undefined;
  /** How the services run; default: the scenario's `provider`, else local. */
  provider?: ProviderName | undefined;
  /** The fault, probe and action kinds to run with (default: the built-in registries). */
  kinds?: Partial<Kinds> | undefined;
}

export interface Kinds {
  injectors: Readonly<Record<string, AnyInjector>>;
  probes: Readonly<Record<string, AnyProbe>>;
  actions: Readonly<Record<string, AnyRecoveryAction>>;
}

const BUILTIN_KINDS: Kinds = { injectors: builtinInjectors, probes: builtinProbes, actions: builtinActions };

/** Run a scenario end to end. Never throws for failures of the run: they become an `error` report. */
export async function runScenario(opts: RunOptions): Promise<RunReport> {
  const sc = opts.scenario;
  const kinds: Kinds = { ...BUILTIN_KINDS, ...opts.kinds };
  const provider: ProviderName = opts.provider ?? sc.spec.provider ?? 'local';
  // An environment without a variant for this provider is bad input: said before anything starts.
  await requireProvider(sc.envDir, sc.envName, provider);
  const clock = createClock();
  const startedAt = clock.isoAt(0);
  const runId = opts.runId ?? process.env.CHAOS_HARNESS_RUN_ID ?? newRunId();
  const runDir = opts.outDir ? resolve(opts.outDir) : defaultRunDir(opts.runsDir ?? 'runs', sc.name, runId);
  // Refused here, before anything starts, when a live run writes to the same directory.
  const releaseRunDir = claimRunDir(runDir, runId, sc.name);
  const events: RunEvent[] = [];
  let iterationNo: number | undefined;
  let phase = 'starting';
  const emit = (type: string, message: string, data?: Record<string, unknown>) => {
    const e: RunEvent = { tMs: Math.round(clock.now() * 10) / 10, type, message };
    if (iterationNo !== undefined) e.iteration = iterationNo;
    if (data) e.data = data;
    events.push(e);
    opts.progress?.event(e);
  };
  const log = (m: string) => emit('log', m);
  const setPhase = (p: string, message: string) => {
    phase = p;
    emit('phase', message, { phase: p });
  };

  const signal = opts.signal ?? new AbortController().signal;
  const iterationsPlan =
    opts.repeat && !sc.spec.iterations
      ? Array.from({ length: opts.repeat }, () => sc.iterations[0] as { faults: ResolvedFault[] })
      : sc.iterations;
  const iterations: IterationResult[] = [];
  let env: StartedEnvironment | undefined;
  let error: { code: string; message: string } | undefined;
  let probesNow: IterationProbes | undefined;

  // Every provider's sweep: a SIGKILLed run of either kind is cleaned up by the next run of any.
  let run: ProviderRun;
  try {
    for (const p of Object.values(builtinProviders)) await p.sweep(log);
    run = await builtinProviders[provider].open({ runId, scenario: sc.name });
  } catch (err) {
    releaseRunDir();
    throw err;
  }

  const usedPorts = new Set<number>();
  const freePort = async () => {
    const p = await getPort({ host: '127.0.0.1', exclude: usedPorts });
    usedPorts.add(p);
    return p;
  };

  const statusTimer = setInterval(() => {
    const primary = probesNow?.running.find((p) => p.name === sc.primaryProbe);
    const ops = primary?.ops() ?? [];
    const now = clock.now();
    let streak = 0;
    for (let i = ops.length - 1; i >= 0 && ops[i]?.outcome !== 'ok'; i--) streak++;
    const recent = ops.filter((o) => o.endMs > now - 1000).length;
    opts.progress?.status({
      phase,
      iteration: (iterationNo ?? 0) + 1,
      repeat: iterationsPlan.length,
      opsPerSec: recent,
      failureStreak: streak,
      elapsedMs: now,
    });
  }, 500);

  try {
    setPhase('bring-up', `bringing up environment "${sc.envName}" (${provider} provider)`);
    const t0 = clock.now();
    env = await startEnvironment(
      {
        provider,
        containers: run.containers,
        name: sc.envName,
        dir: sc.envDir,
        runDir,
        workDir: run.workDir,
        runId: run.runId,
        clock,
        signal,
        log,
        emit,
        freePort,
      },
      sc.spec.environmentOptions,
      sc.file,
    );
    const bringUpMs = Math.round(clock.now() - t0);
    if (env.info.bringUpMs === undefined) env.info.bringUpMs = bringUpMs;
    emit('ready', `environment "${sc.envName}" ready in ${bringUpMs} ms`, { bringUpMs });

    for (const [i, plan] of iterationsPlan.entries()) {
      iterationNo = i;
      const ctx: RunContext = { env, clock, signal, log, emit, runDir };
      const result = await runIteration(sc, kinds, plan, i, ctx, events, setPhase, (p) => {
        probesNow = p;
      });
      iterations.push(result);
      if (result.error) break;
      const waitHealthy = env.extensions.get(WAIT_HEALTHY);
      if (i < iterationsPlan.length - 1 && waitHealthy) {
        // The next iteration must start from a whole stack (the killed node rejoined), not mid-repair.
        setPhase('heal', 'waiting until the environment reports itself healthy again');
        const t = clock.now();
        await waitHealthy(AbortSignal.any([signal, AbortSignal.timeout(120_000)]), 120_000);
        emit('healthy', `environment healthy again after ${Math.round(clock.now() - t)} ms`);
      }
      if (i < iterationsPlan.length - 1 && sc.spec.settle > 0) {
        setPhase('settle', `settling ${sc.spec.settle} ms before the next iteration`);
        await sleep(sc.spec.settle, undefined, { signal });
      }
    }
    iterationNo = undefined;
    const failed = iterations.find((it) => it.error);
    if (failed) error = { code: 'ITERATION_FAILED', message: failed.error as string };
  } catch (err) {
    error = toError(err, signal);
    emit('error', error.message);
  } finally {
    clearInterval(statusTimer);
    iterationNo = undefined;
    if (env) {
      setPhase('teardown', 'tearing down');
      try {
        await env[Symbol.asyncDispose]();
      } catch (err) {
        emit('error', `teardown: ${(err as Error).message}`);
      }
    }
    const leaked = await run.close((m) => emit('error', m));
    if (leaked) emit('leak', leaked);
    emit('done', 'torn down: no process of this run is left');
    releaseRunDir();
  }

  const rtos = iterations.map((it) => it.rtoMs);
  const mttr = computeMttr(rtos);
  let targets: TargetResult[] = [];
  let verdict: Verdict = 'error';
  if (!error) {
    targets = evaluateTargets(sc.targets, iterations, mttr, {
      primaryProbe: sc.primaryProbe,
      expectImpact: sc.spec.expectImpact,
    });
    const noImpact = sc.spec.expectImpact && iterations.some((it) => !it.impact);
    verdict = runVerdict(targets, noImpact);
    if (noImpact)
      error = {
        code: 'NO_IMPACT',
        message: 'the fault had no observable effect: a fault that did nothing cannot pass',
      };
    const bad = targets.find((t) => t.verdict === 'error');
    if (bad)
      error = { code: 'NOT_MEASURED', message: `${bad.metric} could not be measured: ${bad.note ?? ''}` };
  }
  const expectation = judgeExpectation(sc.spec.expect, verdict, targets);
  const primary = sc.probes.find((p) => p.name === sc.primaryProbe);
  const report: RunReport = {
    schemaVersion: 1,
    tool: TOOL,
    scenario: {
      name: sc.name,
      file: sc.file,
      ...(sc.spec.description ? { description: sc.spec.description } : {}),
    },
    environment: {
      name: sc.envName,
      provider,
      info: { ...(env?.info ?? {}), ...run.info() },
    },
    verdict,
    exitCode: exitCodeOf(verdict, expectation),
    ...(expectation ? { expectation } : {}),
    startedAt,
    finishedAt: new Date().toISOString(),
    wallMs: Math.round(clock.now()),
    probeIntervalMs: primary?.intervalMs ?? 0,
    stableForMs: sc.spec.recovery.stableFor,
    repeat: iterationsPlan.length,
    iterations,
    mttr,
    targets,
    events,
    definitions: DEFINITIONS,
    runDir,
  };
  if (error) report.error = error;
  return report;
}

function toError(err: unknown, signal: AbortSignal): { code: string; message: string } {
  if (signal.aborted) {
    const reason = signal.reason === undefined ? 'interrupted' : errorMessage(signal.reason);
    return { code: 'INTERRUPTED', message: `interrupted: ${reason}` };
  }
  const h = toHarnessError(err);
  return { code: h.code, message: h.message };
}

/** A registry entry; the loader already rejected unknown kinds, so a miss here is a harness bug. */
function lookupKind<T>(registry: Readonly<Record<string, T>>, kind: string, what: string): T {
  const impl = registry[kind];
  if (!impl) throw new HarnessError('UNKNOWN_KIND', `unknown ${what} kind "${kind}"`);
  return impl;
}

async function startProbes(
  sc: LoadedScenario,
  kinds: Kinds,
  ctx: RunContext,
  stack: AsyncDisposableStack,
): Promise<RunningProbe[]> {
  const running: RunningProbe[] = [];
  for (const p of sc.probes) {
    const impl = lookupKind(kinds.probes, p.kind, 'probe');
    const rp = await impl.start(ctx, p.params, {
      name: p.name,
      intervalMs: p.intervalMs,
      timeoutMs: p.timeoutMs,
      target: p.target,
    });
    stack.use(rp);
    running.push(rp);
  }
  return running;
}

async function runIteration(
  sc: LoadedScenario,
  kinds: Kinds,
  plan: { name?: string; faults: ResolvedFault[] },
  index: number,
  ctx: RunContext,
  events: readonly RunEvent[],
  setPhase: (p: string, m: string) => void,
  exposeProbes: (p: IterationProbes | undefined) => void,
): Promise<IterationResult> {
  const { clock, emit } = ctx;
  const spec = sc.spec;
  await using stack = new AsyncDisposableStack();
  // A probe that stops working aborts the iteration: what it would record is not a measurement.
  const broken = new AbortController();
  const runSignal = ctx.signal;
  const signal = AbortSignal.any([runSignal, broken.signal]);
  ctx = { ...ctx, signal };
  const faults: { fault: InjectedFault; kind: string; atMs: number; endedAtMs?: number }[] = [];
  const label = plan.name ? ` (${plan.name})` : '';
  setPhase(
    'steady',
    `iteration ${index + 1}${label}: workload starting, steady state for ${spec.steadyState.duration} ms`,
  );
  const startMs = clock.now();
  const running = await startProbes(sc, kinds, ctx, stack);
  const probes: IterationProbes = { running, startMs };
  exposeProbes(probes);
  const watchFrom = clock.now();
  const checkProbes = () => {
    for (const p of running) {
      const why = probeFailure(p, clock.now(), watchFrom);
      if (why === undefined) continue;
      const err = new HarnessError(
        'PROBE_FAILED',
        `probe "${p.name}" stopped working: ${why}. Nothing it recorded after that measures the stack, so the run is an ERROR of the instrument, not a failure of the system under test`,
      );
      emit('probe-failed', err.message, { probe: p.name });
      broken.abort(err);
      return;
    }
  };
  const watchdog = setInterval(checkProbes, 250);
  stack.defer(() => clearInterval(watchdog));
  try {
    await sleep(spec.steadyState.duration, undefined, { signal });
    checkSteadyState(sc, running, startMs, clock);

    setPhase('inject', `injecting ${plan.faults.map((f) => f.kind).join(', ')}`);
    const injectStart = clock.now();
    let tInjectMs: number | undefined;
    for (const f of plan.faults) {
      const wait = injectStart + f.atMs - clock.now();
      if (wait > 0) await sleep(wait, undefined, { signal });
      const impl = lookupKind(kinds.injectors, f.kind, 'fault');
      let fault: InjectedFault;
      try {
        fault = await impl.inject(ctx, f.params, f.target);
      } catch (err) {
        throw new HarnessError('INJECTION_FAILED', `${f.kind} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      const at = clock.now();
      tInjectMs ??= at;
      const entry: (typeof faults)[number] = { fault, kind: f.kind, atMs: at };
      faults.push(entry);
      // A fault with its own duration (a pause, a timed latency toxic) is active until it ends.
      void fault.ended?.then(() => {
        entry.endedAtMs = clock.now();
      });
      // Faults are reverted (killed nodes brought back) after the workload and read-back.
      stack.defer(async () => {
        emit('revert', `reverting: ${fault.description}`);
        await fault[Symbol.asyncDispose]();
      });
      emit('inject', fault.description, { kind: f.kind, ...fault.details });
    }
    const tInject = tInjectMs as number;

    setPhase('recover', 'waiting for recovery');
    const incident = incidentFrom(events, injectStart, faults[0]?.fault, index);
    const recovery = await recover(sc, kinds, ctx, running, tInject, incident);
    emit('recovered', recovery.recoveredAtMs === null ? 'not recovered before the timeout' : 'recovered', {
      rtoMs: recovery.recoveredAtMs === null ? null : Math.round(recovery.recoveredAtMs - tInject),
    });
    if (spec.observe > 0) {
      setPhase('observe', `observing ${spec.observe} ms after recovery`);
      await sleep(spec.observe, undefined, { signal });
    }
    setPhase('verify', 'stopping the workload and reading back acknowledged writes');
    const endMs = clock.now();
    clearInterval(watchdog);
    checkProbes();
    signal.throwIfAborted();
    await Promise.all(running.map((p) => p.stop()));
    return await measureIteration({
      sc,
      index,
      name: plan.name,
      running,
      startMs,
      endMs,
      tInjectMs: tInject,
      incident,
      faults,
      recovery,
      ctx,
    });
  } catch (err) {
    // The run's own interruption wins; otherwise a broken probe is the reason, not the AbortError.
    if (broken.signal.aborted && !runSignal.aborted) throw broken.signal.reason;
    throw err;
  } finally {
    exposeProbes(undefined);
  }
}

function checkSteadyState(
  sc: LoadedScenario,
  running: readonly RunningProbe[],
  startMs: number,
  clock: Clock,
): void {
  for (const p of running) {
    const ops = p.ops().filter((o) => o.startMs >= startMs);
    const bad = ops.filter((o) => o.outcome !== 'ok');
    const rate = ops.length ? bad.length / ops.length : 1;
    if (ops.length === 0 || rate > sc.spec.steadyState.maxErrorRate) {
      const sample = bad[0]?.error ? `; first error: ${bad[0].error}` : '';
      throw new HarnessError(
        'STEADY_STATE_NOT_REACHED',
        `steady state not reached: probe "${p.name}" had ${bad.length} of ${ops.length} operations fail in ${Math.round(clock.now() - startMs)} ms (allowed error rate ${sc.spec.steadyState.maxErrorRate})${sample}; nothing was injected`,
      );
    }
  }
}

export interface RecoveryOutcome {
  recoveredAtMs: number | null;
  mode: 'automatic' | 'action';
  action?: string;
  steps: IterationResult['recovery']['steps'];
  details?: Record<string, unknown>;
}

async function recover(
  sc: LoadedScenario,
  kinds: Kinds,
  ctx: RunContext,
  running: readonly RunningProbe[],
  tInject: number,
  incident: Incident,
): Promise<RecoveryOutcome> {
  const { fault } = incident;
  const { clock, signal } = ctx;
  const { timeout, stableFor } = sc.spec.recovery;
  const primary = running.find((p) => p.name === sc.primaryProbe) as RunningProbe;
  const deadline = tInject + timeout;
  const out: RecoveryOutcome = { recoveredAtMs: null, mode: sc.spec.recovery.mode, steps: [] };
  const rtoNow = () =>
    computeRto(primary.ops(), { tInjectMs: tInject, stableForMs: stableFor, deadlineMs: deadline });
  // A fault may take effect a little after the injector returns: never conclude "no impact" early.
  const minWatch = Math.max(sc.spec.observe, stableFor, 3 * primary.intervalMs + primary.timeoutMs);

  if (sc.action) {
    // The operator acts once the fault is visible, as in an incident: the primary probe's first
    // failed operation, or a probe's detection (damage or lost data that fails no request).
    const visible = () => rtoNow().impact || incident.detection() !== undefined;
    while (clock.now() < deadline && !visible()) await sleep(primary.intervalMs, undefined, { signal });
    if (visible()) {
      const impl = lookupKind(kinds.actions, sc.action.kind, 'recovery action');
      ctx.emit('action', `running recovery action ${sc.action.kind}`);
      const r = await impl.run(ctx, sc.action.params, incident);
      out.action = sc.action.kind;
      out.steps = r.steps;
      if (r.details) out.details = r.details;
      for (const s of r.steps)
        ctx.emit(
          'step',
          `${s.name}: ${Math.round(s.endMs - s.startMs)} ms${s.detail ? ` (${s.detail})` : ''}`,
        );
    }
  }
  if (fault?.ended) {
    // Cancel the deadline timer when the fault ends first, or it keeps the process alive.
    const timer = new AbortController();
    const wait = sleep(Math.max(0, deadline - clock.now()), undefined, {
      signal: AbortSignal.any([signal, timer.signal]),
    }).catch(() => signal.throwIfAborted());
    await Promise.race([fault.ended, wait]);
    timer.abort();
    signal.throwIfAborted();
  }
  // A fault that runs its own recovery (a deploy pipeline rolling back) reports its steps.
  const ownSteps = fault?.details.recoverySteps;
  if (out.steps.length === 0 && Array.isArray(ownSteps)) out.steps = ownSteps as RecoveryOutcome['steps'];
  for (;;) {
    const now = clock.now();
    const r = rtoNow();
    if (
      r.recoveredAtMs !== null &&
      now >= r.recoveredAtMs + stableFor &&
      (r.impact || now >= tInject + minWatch)
    ) {
      out.recoveredAtMs = r.recoveredAtMs;
      return out;
    }
    if (now >= deadline + stableFor) return out;
    await sleep(primary.intervalMs, undefined, { signal });
  }
}
