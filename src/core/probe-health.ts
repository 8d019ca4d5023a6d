// Is the instrument still working? A probe whose client ended, that stopped issuing operations or
// fell behind its schedule measures nothing about the system under test: the run must end ERROR,
// naming the probe, never a FAIL of the stack. Pure: a probe's own account and its recorded ops.

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
