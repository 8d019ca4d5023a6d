// The recover phase: run the scenario's recovery action once the fault is visible (as an operator
// would), wait for a fault with its own duration to end, then wait until the primary probe has been
// stable for `stableFor`, or the recovery timeout passes.

import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadedScenario } from '../../scenario/load.js';
import { computeRto } from '../metrics.js';
import type { IterationResult } from '../report-model.js';
import type { Incident, RunContext, RunningProbe } from '../types.js';
import { type Kinds, lookupKind } from './deps.js';

export interface RecoveryOutcome {
  recoveredAtMs: number | null;
  mode: 'automatic' | 'action';
  action?: string;
  steps: IterationResult['recovery']['steps'];
  details?: Record<string, unknown>;
  verification?: IterationResult['recovery']['verification'];
}

export async function recover(
  sc: LoadedScenario,
  kinds: Kinds,
  ctx: RunContext,
  running: readonly RunningProbe[],
  tInject: number,
  incident: Incident,
): Promise<RecoveryOutcome> {
  const { fault } = incident;
  const { clock, signal } = ctx;
  const { timeout, stableFor } = sc.spec.recovery;
  const primary = running.find((p) => p.name === sc.primaryProbe) as RunningProbe;
  const deadline = tInject + timeout;
  const out: RecoveryOutcome = { recoveredAtMs: null, mode: sc.spec.recovery.mode, steps: [] };
  const rtoNow = () =>
    computeRto(primary.ops(), { tInjectMs: tInject, stableForMs: stableFor, deadlineMs: deadline });
  // A fault may take effect a little after the injector returns: never conclude "no impact" early.
  const minWatch = Math.max(sc.spec.observe, stableFor, 3 * primary.intervalMs + primary.timeoutMs);

  if (sc.action) {
    // The operator acts once the fault is visible, as in an incident: the primary probe's first
    // failed operation, or a probe's detection (damage or lost data that fails no request).
    const visible = () => rtoNow().impact || incident.detection() !== undefined;
    while (clock.now() < deadline && !visible()) await sleep(primary.intervalMs, undefined, { signal });
    if (visible()) {
      const impl = lookupKind(kinds.actions, sc.action.kind, 'recovery action');
      ctx.emit('action', `running recovery action ${sc.action.kind}`);
      const r = await impl.run(ctx, sc.action.params, incident);
      out.action = sc.action.kind;
      out.steps = r.steps;
      if (r.details) out.details = r.details;
      if (r.verification) out.verification = r.verification;
      for (const s of r.steps)
        ctx.emit(
          'step',
          `${s.name}: ${Math.round(s.endMs - s.startMs)} ms${s.detail ? ` (${s.detail})` : ''}`,
        );
    }
  }
  if (fault?.ended) {
    // Cancel the deadline timer when the fault ends first, or it keeps the process alive.
    const timer = new AbortController();
    const wait = sleep(Math.max(0, deadline - clock.now()), undefined, {
      signal: AbortSignal.any([signal, timer.signal]),
    }).catch(() => signal.throwIfAborted());
    await Promise.race([fault.ended, wait]);
    timer.abort();
    signal.throwIfAborted();
  }
  // A fault that runs its own recovery (a deploy pipeline rolling back) reports its steps.
  const ownSteps = fault?.details.recoverySteps;
  if (out.steps.length === 0 && Array.isArray(ownSteps)) out.steps = ownSteps as RecoveryOutcome['steps'];
  for (;;) {
    const now = clock.now();
    const r = rtoNow();
    if (
      r.recoveredAtMs !== null &&
      now >= r.recoveredAtMs + stableFor &&
      (r.impact || now >= tInject + minWatch)
    ) {
      out.recoveredAtMs = r.recoveredAtMs;
      return out;
    }
    if (now >= deadline + stableFor) return out;
    await sleep(primary.intervalMs, undefined, { signal });
  }
}
