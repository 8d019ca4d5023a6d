// Twice a second, a picture of the run for live progress output: phase, iteration, the primary
// probe's rate and its current failure streak. Disposing it stops the timer.

import type { Clock, RunEvent, RunningProbe } from '../types.js';
import type { RunEvents } from './run-events.js';

export const PROGRESS_EVERY_MS = 500;

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

export interface Progress extends Disposable {
  /** The probes of the iteration under way (undefined between iterations). */
  watch(probes: readonly RunningProbe[] | undefined): void;
}

export function startProgress(opts: {
  sink: ProgressSink | undefined;
  clock: Clock;
  events: RunEvents;
  repeat: number;
  primaryProbe: string;
}): Progress {
  const { sink, clock, events } = opts;
  let probes: readonly RunningProbe[] | undefined;
  const timer = setInterval(() => {
    const ops = probes?.find((p) => p.name === opts.primaryProbe)?.ops() ?? [];
    const now = clock.now();
    let streak = 0;
    for (let i = ops.length - 1; i >= 0 && ops[i]?.outcome !== 'ok'; i--) streak++;
    sink?.status({
      phase: events.phase,
      iteration: (events.iteration ?? 0) + 1,
      repeat: opts.repeat,
      opsPerSec: ops.filter((o) => o.endMs > now - 1000).length,
      failureStreak: streak,
      elapsedMs: now,
    });
  }, PROGRESS_EVERY_MS);
  return {
    watch(p) {
      probes = p;
    },
    [Symbol.dispose]() {
      clearInterval(timer);
    },
  };
}
