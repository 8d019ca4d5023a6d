// The run's event log: every event gets a timestamp from the run's clock and, during an
// iteration, its index; each one goes to the progress sink as it happens.

import type { Clock, RunEvent } from '../types.js';
import type { PhaseSink, RunPhase } from './phases.js';
import type { ProgressSink } from './progress.js';

export class RunEvents implements PhaseSink {
  readonly events: RunEvent[] = [];
  /** The phase now, for progress status. */
  phase: RunPhase = 'starting';
  /** 0-based index of the iteration under way; events carry it. */
  iteration: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly sink: ProgressSink | undefined,
  ) {}

  readonly emit = (type: string, message: string, data?: Record<string, unknown>): void => {
    const e: RunEvent = { tMs: Math.round(this.clock.now() * 10) / 10, type, message };
    if (this.iteration !== undefined) e.iteration = this.iteration;
    if (data) e.data = data;
    this.events.push(e);
    this.sink?.event(e);
  };

  readonly log = (message: string): void => this.emit('log', message);

  setPhase(phase: RunPhase, message: string): void {
    this.phase = phase;
    this.emit('phase', message, { phase });
  }
}
