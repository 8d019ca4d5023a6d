// Between two iterations: the next one must start from a whole stack (the killed node rejoined),
// not mid-repair, so wait until the environment says it is healthy, then settle.

import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadedScenario } from '../../scenario/load.js';
import { WAIT_HEALTHY, type WaitHealthy } from '../extensions.js';
import type { RunContext, StartedEnvironment } from '../types.js';
import { BETWEEN_ITERATIONS, type BetweenPhase, type PhaseStep, walkPhases } from './phases.js';
import type { RunEvents } from './run-events.js';

export const HEAL_TIMEOUT_MS = 120_000;

/** The environment's health check between iterations, when it has one. */
export function waitHealthyOf(env: StartedEnvironment): WaitHealthy | undefined {
  return env.extensions.get(WAIT_HEALTHY);
}

interface Between {
  readonly sc: LoadedScenario;
  readonly ctx: RunContext;
  /** The iteration just ended was the last: nothing follows it. */
  readonly last: boolean;
}

const STEPS: { readonly [P in BetweenPhase]: PhaseStep<Between> } = {
  heal: {
    when: (b) => !b.last && waitHealthyOf(b.ctx.env) !== undefined,
    message: () => 'waiting until the environment reports itself healthy again',
    async run({ ctx }) {
      const t = ctx.clock.now();
      await waitHealthyOf(ctx.env)?.(
        AbortSignal.any([ctx.signal, AbortSignal.timeout(HEAL_TIMEOUT_MS)]),
        HEAL_TIMEOUT_MS,
      );
      ctx.emit('healthy', `environment healthy again after ${Math.round(ctx.clock.now() - t)} ms`);
    },
  },
  settle: {
    when: (b) => !b.last && b.sc.spec.settle > 0,
    message: (b) => `settling ${b.sc.spec.settle} ms before the next iteration`,
    async run({ sc, ctx }) {
      await sleep(sc.spec.settle, undefined, { signal: ctx.signal });
    },
  },
};

export function betweenIterations(b: Between, events: RunEvents): Promise<void> {
  return walkPhases(BETWEEN_ITERATIONS, STEPS, b, events);
}
