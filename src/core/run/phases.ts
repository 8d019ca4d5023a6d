// The phases of a run, as data: an iteration walks ITERATION_PHASES in order, the run walks
// BETWEEN_ITERATIONS after every iteration but the last. Each name is also the `phase` of the
// event that starts it and of the progress status while it lasts.

/** One iteration: steady state → inject → wait for recovery → observe → stop and read back. */
export const ITERATION_PHASES = ['steady', 'inject', 'recover', 'observe', 'verify'] as const;
export type IterationPhase = (typeof ITERATION_PHASES)[number];

/** Between two iterations: wait until the stack is whole again, then pause. */
export const BETWEEN_ITERATIONS = ['heal', 'settle'] as const;
export type BetweenPhase = (typeof BETWEEN_ITERATIONS)[number];

export type RunPhase = 'starting' | 'bring-up' | IterationPhase | BetweenPhase | 'teardown';

/** What a phase does with the state `S` it shares with the other phases of its list. */
export interface PhaseStep<S> {
  /** Skipped (no event) when this says no, e.g. an observe phase of 0 ms. */
  when?(s: S): boolean;
  /** The message of the phase event. */
  message(s: S): string;
  run(s: S): Promise<void>;
}

export interface PhaseSink {
  setPhase(phase: RunPhase, message: string): void;
}

/** Runs `steps` in the order of `names`, announcing each phase that is not skipped. */
export async function walkPhases<N extends RunPhase, S>(
  names: readonly N[],
  steps: { readonly [K in N]: PhaseStep<S> },
  state: S,
  sink: PhaseSink,
): Promise<void> {
  for (const name of names) {
    const step = steps[name];
    if (step.when && !step.when(state)) continue;
    sink.setPhase(name, step.message(state));
    await step.run(state);
  }
}
