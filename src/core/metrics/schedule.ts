// How well an open-loop probe kept its schedule: the lag of each op's start behind its slot, and the
// slots that never started an op. This is the harness's own lateness (coordinated omission), not
// the latency of the system under test: an op that hangs for its whole timeout was still on time
// if it started on time.

import type { ProbeSchedule } from '../report-model.js';
import type { OpRecord } from '../types.js';
import { percentileOfSorted } from './percentile.js';

/**
 * An op counts as late only past this lag even when its interval is shorter: the open-loop
 * scheduler alone, with no probe behind it, showed p99 lags of 5-19 ms at 1,000-10,000 slots/s
 * on this 2-core machine under load (bench/probe-capacity.ts, `no-op`), and a Node process's GC
 * pauses are of that size too. A probe every 10 ms that starts an op 15 ms late still sends it.
 */
export const LATE_FLOOR_MS = 20;

/** The lag past which an op started late: one interval, and at least LATE_FLOOR_MS. */
export function lateAfterMs(intervalMs: number): number {
  return Math.max(intervalMs, LATE_FLOOR_MS);
}

export interface ScheduleOptions {
  intervalMs: number;
  /** End of the observation (monotonic ms): slots due later, and ops started later, are left out. */
  endMs: number;
}

/**
 * The schedule of one probe over one iteration. Slot k is due at first + k·interval, where `first`
 * is the earliest op's `scheduledMs`; a slot no op was issued for is a gap between the slots of
 * the ops that were. Only slots due at least one interval before `endMs` are judged: a later one
 * may simply not have fired yet. Ops without `scheduledMs` (a kind that keeps its own schedule)
 * give the rates only.
 */
export function computeSchedule(ops: readonly OpRecord[], o: ScheduleOptions): ProbeSchedule {
  const { intervalMs, endMs } = o;
  const requestedPerSec = 1000 / intervalMs;
  const slotted = ops.filter((op) => op.scheduledMs !== undefined && op.startMs <= endMs);
  if (slotted.length === 0) return unslotted(ops, o);
  slotted.sort((a, b) => (a.scheduledMs as number) - (b.scheduledMs as number));
  const firstMs = slotted[0]!.scheduledMs as number;
  const slotOf = (ms: number) => Math.round((ms - firstMs) / intervalMs);
  // The last slot judged: due at least one interval before the end.
  const lastSlot = Math.floor((endMs - intervalMs - firstMs) / intervalMs + 1e-9);
  const lags: number[] = [];
  let issued = 0;
  let missed = 0;
  let lateIssued = 0;
  let prevSlot = -1;
  // Missed slots up to (not including) `slot`, each as late as the op that finally started.
  const missUntil = (slot: number, startedMs: number) => {
    for (let k = prevSlot + 1; k < slot && k <= lastSlot; k++) {
      missed++;
      lags.push(startedMs - (firstMs + k * intervalMs));
    }
  };
  for (const op of slotted) {
    const slot = slotOf(op.scheduledMs as number);
    if (slot <= prevSlot) continue;
    missUntil(slot, op.startMs);
    prevSlot = slot;
    if (slot > lastSlot) continue;
    issued++;
    const lag = op.startMs - (op.scheduledMs as number);
    // More than one interval (the next slot was already due when this op started), and more than
    // the scheduler's own jitter on a busy machine.
    if (lag > lateAfterMs(intervalMs)) lateIssued++;
    lags.push(lag);
  }
  missUntil(lastSlot + 1, endMs);
  lags.sort((a, b) => a - b);
  const scheduled = lags.length;
  // A missed slot is late whatever lag it is given: no op ever started for it.
  const late = missed + lateIssued;
  const spanMs = endMs - firstMs;
  return {
    requestedPerSec,
    achievedPerSec: spanMs > 0 ? (slotted.length * 1000) / spanMs : 0,
    scheduled,
    issued,
    missed,
    lagP50Ms: percentileOfSorted(lags, 50),
    lagP99Ms: percentileOfSorted(lags, 99),
    lagMaxMs: lags.length ? lags[lags.length - 1]! : null,
    late,
    lateShare: scheduled ? late / scheduled : 0,
  };
}

function unslotted(ops: readonly OpRecord[], o: ScheduleOptions): ProbeSchedule {
  const started = ops.filter((op) => op.startMs <= o.endMs);
  const firstMs = started.reduce((m, op) => Math.min(m, op.startMs), Number.POSITIVE_INFINITY);
  const spanMs = o.endMs - firstMs;
  return {
    requestedPerSec: 1000 / o.intervalMs,
    achievedPerSec: started.length && spanMs > 0 ? (started.length * 1000) / spanMs : 0,
    scheduled: 0,
    issued: started.length,
    missed: 0,
    lagP50Ms: null,
    lagP99Ms: null,
    lagMaxMs: null,
    late: 0,
    lateShare: 0,
  };
}
