// Per-phase latency and error rate of a probe, and per-phase summaries of extra sample series.

import { build } from 'hdr-histogram-js';
import { type LatencySummary, PHASES, type PhaseName } from '../report-model.js';
import type { OpRecord } from '../types.js';
import { percentileOfSorted } from './percentile.js';

export interface PhaseBoundsInput {
  /** Start of the observation (monotonic ms). */
  startMs: number;
  tInjectMs: number;
  /** t_recovered; null or absent when the probe never recovered. */
  recoveredAtMs?: number | null | undefined;
  /** End of the observation (monotonic ms). */
  endMs: number;
}

/** A half-open window [startMs, endMs) of monotonic ms. */
export interface PhaseWindow {
  startMs: number;
  endMs: number;
}

export interface SeriesSummary {
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/** steady = [start, t_inject), fault = [t_inject, t_recovered or end), recovered = [t_recovered, end) or empty. */
export function phaseBounds(b: PhaseBoundsInput): Record<PhaseName, PhaseWindow> {
  const recoveredAt = b.recoveredAtMs ?? null;
  const faultEnd = recoveredAt === null ? b.endMs : Math.min(recoveredAt, b.endMs);
  return {
    steady: { startMs: b.startMs, endMs: b.tInjectMs },
    fault: { startMs: b.tInjectMs, endMs: faultEnd },
    recovered: { startMs: recoveredAt === null ? b.endMs : faultEnd, endMs: b.endMs },
  };
}

const inWindow = (tMs: number, w: PhaseWindow): boolean => tMs >= w.startMs && tMs < w.endMs;

function emptyByPhase<T>(): Record<PhaseName, T[]> {
  return { steady: [], fault: [], recovered: [] };
}

/**
 * Ops go to the phase they started in, except that an op still in flight at t_inject belongs to
 * the fault phase (the fault hit it); ops outside [start, end) are left out.
 */
export function summarizePhases(
  ops: readonly OpRecord[],
  b: PhaseBoundsInput,
): Record<PhaseName, LatencySummary> {
  const windows = phaseBounds(b);
  const byPhase = emptyByPhase<OpRecord>();
  for (const op of ops) {
    let phase = PHASES.find((p) => inWindow(op.startMs, windows[p]));
    if (phase === 'steady' && op.endMs > b.tInjectMs) phase = 'fault';
    if (phase) byPhase[phase].push(op);
  }
  const result = {} as Record<PhaseName, LatencySummary>;
  for (const phase of PHASES) result[phase] = summarizeOps(byPhase[phase], windows[phase]);
  return result;
}

function summarizeOps(ops: readonly OpRecord[], w: PhaseWindow): LatencySummary {
  let ok = 0;
  let failedCount = 0;
  let unknown = 0;
  for (const op of ops) {
    if (op.outcome === 'ok') ok++;
    else if (op.outcome === 'fail') failedCount++;
    else unknown++;
  }
  const count = ops.length;
  return {
    count,
    ok,
    failed: failedCount,
    unknown,
    errorRate: count === 0 ? 0 : (failedCount + unknown) / count,
    ...latencyPercentiles(ops.filter((op) => op.outcome === 'ok')),
    durationMs: Math.max(0, w.endMs - w.startMs),
  };
}

type Percentiles = Pick<LatencySummary, 'p50Ms' | 'p95Ms' | 'p99Ms' | 'maxMs'>;

function latencyPercentiles(okOps: readonly OpRecord[]): Percentiles {
  if (okOps.length === 0) return { p50Ms: null, p95Ms: null, p99Ms: null, maxMs: null };
  // Integer microseconds: the histogram stores integers, and loopback ops often take well under 1 ms.
  const histogram = build({ bitBucketSize: 64, useWebAssembly: false, numberOfSignificantValueDigits: 3 });
  let maxUs = 0;
  try {
    for (const op of okOps) {
      const us = Math.max(0, Math.round((op.endMs - op.startMs) * 1000));
      histogram.recordValue(us);
      maxUs = Math.max(maxUs, us);
    }
    // The histogram answers with the top of a value's bucket, which can exceed the largest value recorded;
    // clamping keeps p50 <= p95 <= p99 <= max.
    const at = (p: number): number => Math.min(histogram.getValueAtPercentile(p), maxUs) / 1000;
    return { p50Ms: at(50), p95Ms: at(95), p99Ms: at(99), maxMs: maxUs / 1000 };
  } finally {
    histogram.destroy();
  }
}

/** Per-phase count, p50, p95 and max (exact, nearest rank) of samples, by the phase of their time. */
export function summarizeSeries(
  samples: readonly { tMs: number; value: number }[],
  b: PhaseBoundsInput,
): Record<PhaseName, SeriesSummary> {
  const windows = phaseBounds(b);
  const byPhase = emptyByPhase<number>();
  for (const s of samples) {
    const phase = PHASES.find((p) => inWindow(s.tMs, windows[p]));
    if (phase) byPhase[phase].push(s.value);
  }
  const result = {} as Record<PhaseName, SeriesSummary>;
  for (const phase of PHASES) {
    const sorted = byPhase[phase].sort((x, y) => x - y);
    result[phase] = {
      count: sorted.length,
      p50: percentileOfSorted(sorted, 50),
      p95: percentileOfSorted(sorted, 95),
      max: sorted.length === 0 ? null : sorted[sorted.length - 1]!,
    };
  }
  return result;
}
