// The steady phase: start every probe (each on the iteration's stack) and check, after the steady
// duration, that the stack answered well enough to inject anything at all.

import type { LoadedScenario } from '../../scenario/load.js';
import { HarnessError } from '../errors.js';
import type { Clock, RunContext, RunningProbe } from '../types.js';
import { type Kinds, lookupKind } from './deps.js';

export async function startProbes(
  sc: LoadedScenario,
  kinds: Kinds,
  ctx: RunContext,
  stack: AsyncDisposableStack,
): Promise<RunningProbe[]> {
  const running: RunningProbe[] = [];
  for (const p of sc.probes) {
    const impl = lookupKind(kinds.probes, p.kind, 'probe');
    const rp = await impl.start(ctx, p.params, {
      name: p.name,
      intervalMs: p.intervalMs,
      timeoutMs: p.timeoutMs,
      target: p.target,
    });
    stack.use(rp);
    running.push(rp);
  }
  return running;
}

/** Throws STEADY_STATE_NOT_REACHED when a probe had no operation, or too many failed, since `startMs`. */
export function checkSteadyState(
  sc: LoadedScenario,
  running: readonly RunningProbe[],
  startMs: number,
  clock: Clock,
): void {
  for (const p of running) {
    const ops = p.ops().filter((o) => o.startMs >= startMs);
    const bad = ops.filter((o) => o.outcome !== 'ok');
    const rate = ops.length ? bad.length / ops.length : 1;
    if (ops.length === 0 || rate > sc.spec.steadyState.maxErrorRate) {
      const sample = bad[0]?.error ? `; first error: ${bad[0].error}` : '';
      throw new HarnessError(
        'STEADY_STATE_NOT_REACHED',
        `steady state not reached: probe "${p.name}" had ${bad.length} of ${ops.length} operations fail in ${Math.round(clock.now() - startMs)} ms (allowed error rate ${sc.spec.steadyState.maxErrorRate})${sample}; nothing was injected`,
      );
    }
  }
}
