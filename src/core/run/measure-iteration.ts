import type { LoadedScenario } from '../../scenario/load.js';
import { anchorDrains } from '../metrics/drain.js';
import { computeGroups, groupedRto } from '../metrics/groups.js';
import {
  computeAtFault,
  computeRpo,
  computeRto,
  computeSchedule,
  computeTimeline,
  summarizePhases,
  summarizeSeries,
} from '../metrics.js';
import type { IterationResult, ProbeIterationResult } from '../report-model.js';
import type { Incident, RunContext, RunningProbe } from '../types.js';
import type { ActiveFault } from './inject.js';
import type { RecoveryOutcome } from './recover.js';

/** Turn one iteration's raw ops and samples into results. Reads writes back (RPO) first. */
export async function measureIteration(m: {
  sc: LoadedScenario;
  index: number;
  name?: string | undefined;
  running: readonly RunningProbe[];
  startMs: number;
  endMs: number;
  tInjectMs: number;
  /** Its detection counts from injection start: an injector that restarts the service can see it before returning. */
  incident: Incident;
  faults: readonly ActiveFault[];
  recovery: RecoveryOutcome;
  ctx: RunContext;
}): Promise<IterationResult> {
  const { sc, running, startMs, endMs, tInjectMs, ctx } = m;
  const deadlineMs = tInjectMs + sc.spec.recovery.timeout;
  const ended = m.faults.map((f) => f.endedAtMs).filter((x): x is number => x !== undefined);
  const faultsEndedMs = ended.length ? Math.max(...ended) : undefined;
  const probes: ProbeIterationResult[] = [];
  /** Where each probe's fault phase ended (the primary's closes the iteration's fault window). */
  const faultEnds = new Map<string, number>();
  for (const p of running) {
    const ops = p.ops();
    const rtoOpts = { tInjectMs, stableForMs: sc.spec.recovery.stableFor, deadlineMs };
    const whole = computeRto(ops, rtoOpts);
    // Ops spread over groups (slot ranges): the probe recovers with its worst group.
    const byGroup = computeGroups(ops, rtoOpts);
    const raw = byGroup ? groupedRto(whole, byGroup, tInjectMs) : whole;
    // The fault phase lasts until recovery, and at least as long as a timed fault is active
    // (a latency fault fails nothing, so recovery alone would leave its phase empty).
    const split =
      raw.recoveredAtMs === null ? null : Math.min(endMs, Math.max(raw.recoveredAtMs, faultsEndedMs ?? 0));
    // Nothing failed, so nothing recovered: an RTO figure here would be the first op's start time.
    const rto = raw.impact ? raw : { ...raw, rtoMs: null, recoveredAtMs: null };
    const bounds = { startMs, tInjectMs, recoveredAtMs: split, endMs };
    const r: ProbeIterationResult = {
      probe: p.name,
      kind: p.kind,
      intervalMs: p.intervalMs,
      timeoutMs: p.timeoutMs,
      phases: summarizePhases(ops, bounds),
      rto,
      timeline: computeTimeline(ops, { startMs, endMs }),
      schedule: computeSchedule(ops, { intervalMs: p.intervalMs, endMs }),
    };
    faultEnds.set(p.name, split ?? endMs);
    let present: ReadonlySet<string> | undefined;
    if (p.verify) {
      const v = await p.verify(AbortSignal.any([ctx.signal, AbortSignal.timeout(120_000)]));
      present = v.present;
      r.rpo = computeRpo(ops, v.present, tInjectMs);
      if (v.stream) r.stream = anchorDrains(v.stream, faultsEndedMs);
      ctx.emit(
        'verify',
        `${p.name}: ${r.rpo.lost} of ${r.rpo.acknowledged} acknowledged writes lost (${r.rpo.lostAfterInject} acknowledged after the fault)`,
        { lost: r.rpo.lost, acknowledged: r.rpo.acknowledged },
      );
    }
    r.atFault = computeAtFault(ops, { injectStartMs: m.incident.injectStartMs, tInjectMs }, present);
    if (byGroup) r.groups = (present && computeGroups(ops, rtoOpts, present)) || byGroup;
    const samples = p.samples?.();
    if (samples) {
      r.series = Object.fromEntries(Object.entries(samples).map(([k, s]) => [k, summarizeSeries(s, bounds)]));
    }
    const summary = p.summary?.();
    if (summary) r.summary = summary;
    probes.push(r);
  }
  const primary = probes.find((p) => p.probe === sc.primaryProbe) ?? (probes[0] as ProbeIterationResult);
  const detected = m.incident.detection();
  const result: IterationResult = {
    index: m.index,
    ...(m.name ? { name: m.name } : {}),
    tInjectMs,
    rtoMs: primary.rto.rtoMs,
    recoveredAtMs: primary.rto.recoveredAtMs,
    impact: probes.some((p) => p.rto.impact),
    mttdMs: detected ? Math.max(0, Math.round(detected.tMs - tInjectMs)) : null,
    startMs,
    endMs,
    faultEndMs: faultEnds.get(primary.probe) ?? endMs,
    detectedAtMs: detected ? detected.tMs : null,
    faults: m.faults.map((f) => ({
      kind: f.kind,
      description: f.fault.description,
      reversible: f.fault.reversible,
      injectedAtMs: f.atMs,
      ...(f.endedAtMs !== undefined && f.endedAtMs <= endMs ? { endedAtMs: f.endedAtMs } : {}),
      details: f.fault.details,
    })),
    recovery: {
      mode: m.recovery.mode,
      steps: m.recovery.steps,
      ...(m.recovery.action ? { action: m.recovery.action } : {}),
      ...(m.recovery.details ? { details: m.recovery.details } : {}),
      ...(m.recovery.verification ? { verification: m.recovery.verification } : {}),
    },
    probes,
  };
  return result;
}
