// Is the instrument still working? A probe whose client ended, that stopped issuing operations or
// fell behind its schedule measures nothing about the system under test: the run must end ERROR,
// naming the probe, never a FAIL of the stack. Pure: a probe's own account and its recorded ops.

import { lateAfterMs } from './metrics/schedule.js';
import type { ProbeSchedule } from './report-model.js';
import type { OpRecord } from './types.js';

/** An open-loop probe must issue at least this share of its scheduled operations. */
export const MIN_ISSUE_RATIO = 0.7;
/** Slack for timer lateness between an op's timeout and its record. */
const RECORD_SLACK_MS = 250;

/** The window over which the issue rate is judged: at least 2 s and 10 intervals. */
export function healthWindowMs(intervalMs: number): number {
  return Math.max(2000, 10 * intervalMs);
}

export interface WatchedProbe {
  readonly name: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  ops(): readonly OpRecord[];
  failure?(): string | undefined;
}

/**
 * Why `probe` no longer measures, or undefined while it works. Every operation is recorded by its
 * timeout at the latest, so the ops started before `now - timeout` are all known: too few of them
 * in the last window means the probe stopped issuing or fell behind (coordinated omission).
 */
export function probeFailure(probe: WatchedProbe, nowMs: number, startedMs: number): string | undefined {
  const own = probe.failure?.();
  if (own) return own;
  const windowMs = healthWindowMs(probe.intervalMs);
  const settledMs = nowMs - probe.timeoutMs - RECORD_SLACK_MS;
  const fromMs = settledMs - windowMs;
  if (fromMs < startedMs) return undefined;
  const ops = probe.ops();
  let issued = 0;
  // Records are appended as ops end, and an op ends after it starts: scan back to the window only.
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i] as OpRecord;
    if (op.endMs < fromMs) break;
    if (op.startMs >= fromMs && op.startMs < settledMs) issued++;
  }
  const scheduled = windowMs / probe.intervalMs;
  if (issued >= MIN_ISSUE_RATIO * scheduled) return undefined;
  const at = `between +${(fromMs / 1000).toFixed(1)} s and +${(settledMs / 1000).toFixed(1)} s`;
  return issued === 0
    ? `issued no operation for ${Math.round(windowMs)} ms ${at} (scheduled every ${probe.intervalMs} ms)`
    : `fell behind its schedule: issued ${issued} of ${Math.round(scheduled)} scheduled operations ${at} (minimum ${MIN_ISSUE_RATIO * 100}%)`;
}

/**
 * A probe whose schedule slipped for more than this share of its operations (each started more
 * than one interval late, or never) measured its own scheduler as much as the stack: its figures
 * are not trustworthy (coordinated omission), so the run is ERROR, never a verdict.
 */
export const MAX_LATE_SHARE = 0.01;
/**
 * ...and at least this many of them: in a short run one stall of the test machine makes 1% (a run
 * of 50 operations every 50 ms had 2 late by 75 ms, 4%), which is noise, not a probe that turned
 * closed-loop; an overloaded probe is late by hundreds.
 */
export const MIN_LATE_OPS = 3;

const ms = (v: number) => `${Number(v.toPrecision(3))} ms`;

/** One iteration's schedule of a probe. */
export interface IterationSchedule {
  /** 0-based. */
  iteration: number;
  schedule: ProbeSchedule;
}

/**
 * Why a run's figures of probe `name` are not trustworthy because its scheduler fell behind: more
 * than MAX_LATE_SHARE of its slots over the run started more than one interval late or never.
 * Undefined when it kept its schedule (or records none: a kind with its own load generator). The
 * lag is of each op's start, never of its completion: ops that hang during a fault are on time.
 */
export function scheduleFailure(
  name: string,
  intervalMs: number,
  iterations: readonly IterationSchedule[],
): string | undefined {
  const slotted = iterations.filter((i) => i.schedule.lagP99Ms !== null);
  const late = slotted.reduce((n, i) => n + i.schedule.late, 0);
  const scheduled = slotted.reduce((n, i) => n + i.schedule.scheduled, 0);
  if (scheduled === 0 || late < MIN_LATE_OPS || late / scheduled <= MAX_LATE_SHARE) return undefined;
  const worst = slotted.reduce((w, i) => (i.schedule.lateShare > w.schedule.lateShare ? i : w));
  const w = worst.schedule;
  const share = late / scheduled;
  const pct = `${(share * 100).toFixed(share < 0.1 ? 2 : 1)}%`;
  const where =
    slotted.length > 1 ? `worst in iteration ${worst.iteration + 1}` : `in iteration ${worst.iteration + 1}`;
  return (
    `probe "${name}" fell behind its schedule: ${pct} of its ${scheduled} scheduled operations (${late}) ` +
    `started more than ${lateAfterMs(intervalMs) > intervalMs ? `${ms(lateAfterMs(intervalMs))} (the floor; one interval is ${ms(intervalMs)})` : `one interval (${ms(intervalMs)})`} late or never started (at most ${MAX_LATE_SHARE * 100}% may); ` +
    `${where}: p99 schedule lag ${ms(w.lagP99Ms ?? 0)}, max ${ms(w.lagMaxMs ?? 0)}, ` +
    `${Math.round(w.achievedPerSec)} of ${Math.round(w.requestedPerSec)} operations/s achieved`
  );
}
