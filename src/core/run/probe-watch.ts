// The iteration's watchdog: a probe that stops working aborts the iteration, since what it would
// record from then on is not a measurement of the stack.

import { HarnessError } from '../errors.js';
import { probeFailure } from '../probe-health.js';
import type { Clock, EmitEvent, RunningProbe } from '../types.js';

export const PROBE_CHECK_EVERY_MS = 250;

export class ProbeWatch implements Disposable {
  readonly #broken = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #probes: readonly RunningProbe[] = [];
  #fromMs = 0;

  constructor(
    private readonly clock: Clock,
    private readonly emit: EmitEvent,
  ) {}

  /** Aborted, with the PROBE_FAILED error as its reason, when a watched probe stops working. */
  get signal(): AbortSignal {
    return this.#broken.signal;
  }

  /** Watch `probes` from now on. */
  start(probes: readonly RunningProbe[]): void {
    this.#probes = probes;
    this.#fromMs = this.clock.now();
    this.#timer = setInterval(() => this.check(), PROBE_CHECK_EVERY_MS);
  }

  /** One look at every probe now; the first that stopped working aborts `signal`. */
  check(): void {
    for (const p of this.#probes) {
      const why = probeFailure(p, this.clock.now(), this.#fromMs);
      if (why === undefined) continue;
      const err = new HarnessError(
        'PROBE_FAILED',
        `probe "${p.name}" stopped working: ${why}. Nothing it recorded after that measures the stack, so the run is an ERROR of the instrument, not a failure of the system under test`,
      );
      this.emit('probe-failed', err.message, { probe: p.name });
      this.#broken.abort(err);
      return;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  [Symbol.dispose](): void {
    this.stop();
  }
}
