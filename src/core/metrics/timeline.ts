// A probe's operations over time, in fixed buckets: what the charts of report.html draw.

import type { ProbeTimeline } from '../report-model.js';
import type { OpRecord } from '../types.js';
import { percentileOfSorted } from './percentile.js';

/** The widest bucket: fine enough to see a sub-second outage, coarse enough to keep the report small. */
export const TIMELINE_BUCKET_MS = 100;

export interface TimelineWindow {
  /** The iteration's start and end (monotonic ms). */
  startMs: number;
  endMs: number;
  /** Bucket width; default (and at most) TIMELINE_BUCKET_MS. */
  bucketMs?: number;
}

/** 3 significant digits, as the phase latencies keep: more would be noise and bytes. */
function round3(ms: number): number {
  return ms === 0 ? 0 : Number(ms.toPrecision(3));
}

/**
 * Ops counted in the bucket they started in; ops that started outside [startMs, endMs) are left
 * out. Latency percentiles are exact (nearest rank) over each bucket's successful ops.
 */
export function computeTimeline(ops: readonly OpRecord[], w: TimelineWindow): ProbeTimeline {
  const bucketMs = w.bucketMs ?? TIMELINE_BUCKET_MS;
  if (!(bucketMs > 0 && bucketMs <= TIMELINE_BUCKET_MS))
    throw new RangeError(`timeline bucket must be within (0, ${TIMELINE_BUCKET_MS}] ms, got ${bucketMs}`);
  const n = Math.max(0, Math.ceil((w.endMs - w.startMs) / bucketMs));
  const zeros = () => new Array<number>(n).fill(0);
  const started = zeros();
  const ok = zeros();
  const failed = zeros();
  const unknown = zeros();
  const latencies: number[][] = Array.from({ length: n }, () => []);
  for (const op of ops) {
    if (op.startMs < w.startMs || op.startMs >= w.endMs) continue;
    const i = Math.min(n - 1, Math.floor((op.startMs - w.startMs) / bucketMs));
    started[i]! += 1;
    if (op.outcome === 'ok') {
      ok[i]! += 1;
      latencies[i]!.push(Math.max(0, op.endMs - op.startMs));
    } else if (op.outcome === 'fail') failed[i]! += 1;
    else unknown[i]! += 1;
  }
  const p50Ms: (number | null)[] = [];
  const p95Ms: (number | null)[] = [];
  for (const values of latencies) {
    const sorted = values.sort((a, b) => a - b);
    const p50 = percentileOfSorted(sorted, 50);
    const p95 = percentileOfSorted(sorted, 95);
    p50Ms.push(p50 === null ? null : round3(p50));
    p95Ms.push(p95 === null ? null : round3(p95));
  }
  return { startMs: w.startMs, endMs: w.endMs, bucketMs, started, ok, failed, unknown, p50Ms, p95Ms };
}
