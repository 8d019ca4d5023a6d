// The started environment's place on the run's stack. It is put there before bring-up starts, so
// that what the run acquires after it (the progress timer, which reports bring-up too) is released
// before teardown starts; teardown happens only once something was started.

import type { EnvironmentRequest, ProviderRun } from '../provider.js';
import type { Clock, StartedEnvironment } from '../types.js';
import type { RunEvents } from './run-events.js';

export class EnvironmentSlot implements AsyncDisposable {
  #env: StartedEnvironment | undefined;

  constructor(private readonly events: RunEvents) {}

  get env(): StartedEnvironment | undefined {
    return this.#env;
  }

  /** Bring the environment up in `run` and keep it here for teardown. */
  async bringUp(
    run: ProviderRun,
    env: EnvironmentRequest,
    ctx: { runDir: string; clock: Clock; signal: AbortSignal },
  ): Promise<StartedEnvironment> {
    const { events } = this;
    events.setPhase('bring-up', `bringing up environment "${env.name}" (${run.provider} provider)`);
    const t0 = ctx.clock.now();
    const started = await run.startEnvironment(env, {
      runDir: ctx.runDir,
      clock: ctx.clock,
      signal: ctx.signal,
      log: events.log,
      emit: events.emit,
    });
    this.#env = started;
    const bringUpMs = Math.round(ctx.clock.now() - t0);
    if (started.info.bringUpMs === undefined) started.info.bringUpMs = bringUpMs;
    events.emit('ready', `environment "${env.name}" ready in ${bringUpMs} ms`, { bringUpMs });
    return started;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const env = this.#env;
    if (!env) return;
    this.events.setPhase('teardown', 'tearing down');
    try {
      await env[Symbol.asyncDispose]();
    } catch (err) {
      this.events.emit('error', `teardown: ${(err as Error).message}`);
    }
  }
}
