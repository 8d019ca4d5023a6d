// Reading the per-iteration numbers out of a report the same way in every writer.

import type {
  IterationResult,
  ProbeIterationResult,
  ProbeSchedule,
  RunReport,
} from '../core/report-model.js';
import { formatDuration } from './format.js';

/**
 * The probe an iteration's RTO came from: the one the report names (`primaryProbe`), else (older
 * reports) the probe whose own RTO matches the iteration's, falling back to the first probe.
 */
export function primaryProbe(it: IterationResult, name?: string): ProbeIterationResult | undefined {
  const named = name === undefined ? undefined : it.probes.find((p) => p.probe === name);
  return (
    named ??
    it.probes.find((p) => p.rto.rtoMs === it.rtoMs && p.rto.recoveredAtMs === it.recoveredAtMs) ??
    it.probes[0]
  );
}

/** The primary probe's schedule in the iteration that kept it worst, and how many iterations there were. */
export interface PrimarySchedule {
  probe: string;
  intervalMs: number;
  schedule: ProbeSchedule;
  /** 0-based, as in the report. */
  iteration: number;
  iterations: number;
}

/**
 * The primary probe's schedule over the run: its worst iteration (the largest share late, then the
 * largest p99 lag), or undefined when no iteration measured one.
 */
export function primarySchedule(report: RunReport): PrimarySchedule | undefined {
  let worst: PrimarySchedule | undefined;
  const measured = report.iterations.flatMap((it) => {
    const p = primaryProbe(it, report.primaryProbe);
    return p?.schedule ? [{ it, p, s: p.schedule }] : [];
  });
  for (const { it, p, s } of measured) {
    const w = worst?.schedule;
    const worse =
      !w ||
      s.lateShare > w.lateShare ||
      (s.lateShare === w.lateShare && (s.lagP99Ms ?? 0) > (w.lagP99Ms ?? 0));
    if (worse) {
      worst = {
        probe: p.probe,
        intervalMs: p.intervalMs,
        schedule: s,
        iteration: it.index,
        iterations: measured.length,
      };
    }
  }
  return worst;
}

/**
 * Lost acknowledged writes over every write probe, and the widest RPO window among them, or null
 * when no probe verified writes.
 */
export function lostWrites(
  it: IterationResult,
): { lost: number; acknowledged: number; afterInject: number; windowMs: number } | null {
  const rpos = it.probes.flatMap((p) => (p.rpo ? [p.rpo] : []));
  if (rpos.length === 0) return null;
  return {
    lost: rpos.reduce((n, r) => n + r.lost, 0),
    acknowledged: rpos.reduce((n, r) => n + r.acknowledged, 0),
    afterInject: rpos.reduce((n, r) => n + r.lostAfterInject, 0),
    windowMs: Math.max(...rpos.map((r) => r.rpoMs)),
  };
}

/** Lost writes over the whole run, or null when nothing was verified. */
export function runLostWrites(
  report: RunReport,
): { lost: number; acknowledged: number; afterInject: number } | null {
  const per = report.iterations.flatMap((it) => {
    const l = lostWrites(it);
    return l ? [l] : [];
  });
  if (per.length === 0) return null;
  return {
    lost: per.reduce((n, l) => n + l.lost, 0),
    acknowledged: per.reduce((n, l) => n + l.acknowledged, 0),
    afterInject: per.reduce((n, l) => n + l.afterInject, 0),
  };
}

/** "3 of 5000 (2 acknowledged after the fault)", or "not verified". */
export function lostWritesText(
  lost: { lost: number; acknowledged: number; afterInject: number } | null,
): string {
  if (lost === null) return 'not verified';
  const split = lost.afterInject > 0 ? ` (${lost.afterInject} acknowledged after the fault)` : '';
  return `${lost.lost} of ${lost.acknowledged}${split}`;
}

/** "detect (1.52 s), promote node2 (323 ms)", or "—". */
export function recoveryStepsText(steps: IterationResult['recovery']['steps']): string {
  if (steps.length === 0) return '—';
  return steps.map((s) => `${s.name} (${formatDuration(s.endMs - s.startMs)})`).join(', ');
}
