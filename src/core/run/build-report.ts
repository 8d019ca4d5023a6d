// The run's report from what it measured: targets judged (unless the run errored), verdict,
// expectation, exit code. Measures nothing, formats nothing.

import type { LoadedScenario } from '../../scenario/load.js';
import { DEFINITIONS, evaluateTargets, judgedProbes, runVerdict } from '../evaluate.js';
import { exitCodeOf, judgeExpectation } from '../expectation.js';
import { checkLatencyEffects, noEffectMessage } from '../fault-effect.js';
import { computeMttr } from '../metrics.js';
import { type IterationSchedule, scheduleFailure } from '../probe-health.js';
import type { HistoryContext } from '../relative-bound.js';
import type { IterationResult, RunFacts, RunReport, TargetResult, Verdict } from '../report-model.js';
import type { Clock, ProviderName, RunEvent } from '../types.js';

export const TOOL = { name: 'chaos-harness', version: '0.1.0' };

export interface RunError {
  code: string;
  message: string;
}

/**
 * PROBE_BEHIND_SCHEDULE when a probe whose figures the targets judge fell behind its own schedule
 * over the run (probe-health.ts): the instrument, not the stack, would decide the verdict.
 */
export function behindSchedule(
  sc: Pick<LoadedScenario, 'targets' | 'primaryProbe'>,
  iterations: readonly IterationResult[],
): (RunError & { probe: string }) | undefined {
  const byProbe = new Map<string, { intervalMs: number; its: IterationSchedule[] }>();
  for (const it of iterations) {
    for (const p of judgedProbes(sc.targets, it, sc.primaryProbe)) {
      if (!p.schedule) continue;
      const entry = byProbe.get(p.probe) ?? { intervalMs: p.intervalMs, its: [] };
      entry.its.push({ iteration: it.index, schedule: p.schedule });
      byProbe.set(p.probe, entry);
    }
  }
  for (const [probe, { intervalMs, its }] of byProbe) {
    const why = scheduleFailure(probe, intervalMs, its);
    if (why === undefined) continue;
    return {
      code: 'PROBE_BEHIND_SCHEDULE',
      probe,
      message: `${why}. Its figures are not trustworthy (coordinated omission), so the run is an ERROR of the instrument, not a verdict on the system under test`,
    };
  }
  return undefined;
}

export interface FinishedRun {
  sc: LoadedScenario;
  provider: ProviderName;
  clock: Clock;
  startedAt: string;
  runDir: string;
  repeat: number;
  iterations: IterationResult[];
  events: RunEvent[];
  /** Why the run could not measure, if it could not. */
  error: RunError | undefined;
  /** The environment's and the provider run's facts, the provider's last. */
  info: Record<string, unknown>;
  facts: RunFacts;
  /** Earlier runs of the scenario (src/history), unless the run keeps no history. */
  history?: HistoryContext | undefined;
}

export function buildReport(run: FinishedRun): RunReport {
  const { sc, iterations } = run;
  let { error } = run;
  const mttr = computeMttr(iterations.map((it) => it.rtoMs));
  let targets: TargetResult[] = [];
  let verdict: Verdict = 'error';
  if (!error) {
    targets = evaluateTargets(sc.targets, iterations, mttr, {
      primaryProbe: sc.primaryProbe,
      expectImpact: sc.spec.expectImpact,
      baseline: run.history?.lookup,
    });
    const noImpact = sc.spec.expectImpact && iterations.some((it) => !it.impact);
    // Without expected failures a latency toxic must show in the probes' latency instead.
    const noEffect = sc.spec.expectImpact ? undefined : checkLatencyEffects(iterations);
    verdict = runVerdict(targets, noImpact || noEffect !== undefined);
    if (noImpact)
      error = {
        code: 'NO_IMPACT',
        message: 'the fault had no observable effect: a fault that did nothing cannot pass',
      };
    else if (noEffect && verdict === 'inconclusive')
      error = { code: 'NO_IMPACT', message: noEffectMessage(noEffect) };
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
    environment: { name: sc.envName, provider: run.provider, info: run.info },
    facts: run.facts,
    verdict,
    exitCode: exitCodeOf(verdict, expectation),
    ...(expectation ? { expectation } : {}),
    startedAt: run.startedAt,
    finishedAt: new Date().toISOString(),
    wallMs: Math.round(run.clock.now()),
    probeIntervalMs: primary?.intervalMs ?? 0,
    primaryProbe: sc.primaryProbe,
    stableForMs: sc.spec.recovery.stableFor,
    repeat: run.repeat,
    iterations,
    mttr,
    targets,
    events: run.events,
    definitions: DEFINITIONS,
    runDir: run.runDir,
  };
  if (error) report.error = error;
  if (run.history) report.history = run.history.section;
  return report;
}
