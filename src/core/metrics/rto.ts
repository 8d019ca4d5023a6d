// RTO from one probe's operation history ("Metric definitions" in the design).

import type { RtoResult } from '../report-model.js';
import type { OpRecord } from '../types.js';

export interface RtoOptions {
  /** When the injector returned (monotonic ms). */
  tInjectMs: number;
  /** How long a run of successes must last before the service counts as recovered. */
  stableForMs: number;
  /** Latest t_recovered that still counts (monotonic ms); a later one means never recovered. */
  deadlineMs: number;
}

const failed = (op: OpRecord): boolean => op.outcome !== 'ok';

/** Ops ordered by start; ties keep id order so results do not depend on how the input was ordered. */
function sortByStart(ops: readonly OpRecord[]): OpRecord[] {
  return [...ops].sort((a, b) => a.startMs - b.startMs || a.id - b.id);
}

/** First index whose op starts at or after `tMs` (ops sorted by start). */
function lowerBound(sorted: readonly OpRecord[], tMs: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.startMs < tMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The earliest end among the ops starting in [sorted[i].startMs, runEndMs), all ok. Only ops that start
 * before the earliest end found so far can end earlier still, so the scan stops there.
 */
function firstAnswer(sorted: readonly OpRecord[], i: number, runEndMs: number): number {
  let answeredMs = Number.POSITIVE_INFINITY;
  for (let j = i; j < sorted.length; j++) {
    const op = sorted[j]!;
    if (op.startMs >= runEndMs || op.startMs >= answeredMs) break;
    answeredMs = Math.min(answeredMs, op.endMs);
  }
  return answeredMs;
}

/**
 * Finds the run of successes that shows recovery: it begins at the start `s` of the first ok op, at or after
 * t_inject and after the first failure, such that:
 * - no op that started before `s` is still running at `s` and then fails or times out (the service was not
 *   serving everyone yet, so RTO is never shorter than the end of a failure that precedes the run);
 * - the ops starting from `s` are all ok until one starts at or after `s + stableForMs`: the run is proven to
 *   have lasted by an op inside it, so a run cut short by a failure just past the window is flapping.
 * Recovery must follow the first failure because a fault whose effect starts late (a lease that expires,
 * a failover that kicks in) would otherwise be "recovered" by the successes before its outage began.
 *
 * t_recovered is when the service was first seen answering again: the earliest end of an op of that run
 * (the ops starting in [s, next failure)). Not `s`: ops sent during the outage can be held by it (a client
 * waiting for the new primary) and all complete when it ends; their start says nothing about when the service
 * answered, and counting them as recovered would put the outage's wait into the recovered phase. Ends can come
 * out of order (a later op answered first), hence the earliest. A t_recovered after the deadline does not count.
 */
export function computeRto(ops: readonly OpRecord[], opts: RtoOptions): RtoResult {
  const { tInjectMs, deadlineMs } = opts;
  const stableForMs = Math.max(0, opts.stableForMs);
  const sorted = sortByStart(ops);
  const n = sorted.length;

  let failedOps = 0;
  let firstImpactStartMs = Number.POSITIVE_INFINITY;
  let lastFailureMs: number | null = null;
  for (const op of sorted) {
    // An op in flight at t_inject that fails afterwards was hit by the fault too.
    if (!failed(op) || op.endMs <= tInjectMs) continue;
    failedOps++;
    firstImpactStartMs = Math.min(firstImpactStartMs, op.startMs);
    lastFailureMs = Math.max(lastFailureMs ?? op.endMs, op.endMs);
  }
  const impact = failedOps > 0;

  // nextFailureStart[i]: start of the first failed op at index >= i; failureEndBefore[i]: latest end of a
  // failed op at index < i. With both, each candidate is checked in O(log n).
  const nextFailureStart = new Array<number>(n + 1);
  nextFailureStart[n] = Number.POSITIVE_INFINITY;
  for (let i = n - 1; i >= 0; i--) {
    const op = sorted[i]!;
    nextFailureStart[i] = failed(op) ? op.startMs : nextFailureStart[i + 1]!;
  }
  const failureEndBefore = new Array<number>(n + 1);
  failureEndBefore[0] = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const op = sorted[i]!;
    failureEndBefore[i + 1] = failed(op) ? Math.max(failureEndBefore[i]!, op.endMs) : failureEndBefore[i]!;
  }

  let recoveredAtMs: number | null = null;
  let i = lowerBound(sorted, tInjectMs);
  while (i < n) {
    // `i` is always the first op starting at `s`, so a failure tied with it ends the run before it began.
    const s = sorted[i]!.startMs;
    if (s > deadlineMs) break;
    const runEndMs = nextFailureStart[i]!;
    const evidence = lowerBound(sorted, s + stableForMs);
    if (
      (!impact || s > firstImpactStartMs) &&
      failureEndBefore[i]! <= s &&
      evidence < n &&
      sorted[evidence]!.startMs < runEndMs
    ) {
      const answeredMs = firstAnswer(sorted, i, runEndMs);
      if (answeredMs <= deadlineMs) {
        recoveredAtMs = answeredMs;
        break;
      }
    }
    while (i < n && sorted[i]!.startMs === s) i++;
  }

  return {
    rtoMs: recoveredAtMs === null ? null : recoveredAtMs - tInjectMs,
    recoveredAtMs,
    impact,
    // An op already in flight at t_inject is first seen failing at t_inject, not before the fault existed.
    firstFailureMs: impact ? Math.max(firstImpactStartMs, tInjectMs) : null,
    lastFailureMs,
    failedOps,
  };
}
