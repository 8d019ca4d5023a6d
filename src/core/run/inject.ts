// The inject phase: apply each fault of the iteration at its offset. Every applied fault goes on
// the iteration's stack, so it is reverted (killed nodes brought back) after the workload and the
// read-back, on success, error and interruption alike.

import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../errors.js';
import type { InjectedFault, RunContext } from '../types.js';
import { type Kinds, lookupKind } from './deps.js';
import type { IterationPlan } from './iteration-plan.js';

export interface ActiveFault {
  fault: InjectedFault;
  kind: string;
  atMs: number;
  /** When a fault with its own duration ended. */
  endedAtMs?: number;
}

export interface Injected {
  /** When injection started. */
  injectStartMs: number;
  /** t_inject: when the first injector returned. */
  tInjectMs: number;
  faults: ActiveFault[];
}

export async function injectFaults(
  plan: IterationPlan,
  kinds: Kinds,
  ctx: RunContext,
  stack: AsyncDisposableStack,
): Promise<Injected> {
  const { clock, emit, signal } = ctx;
  const injectStartMs = clock.now();
  let tInjectMs: number | undefined;
  const faults: ActiveFault[] = [];
  for (const f of plan.faults) {
    const wait = injectStartMs + f.atMs - clock.now();
    if (wait > 0) await sleep(wait, undefined, { signal });
    const impl = lookupKind(kinds.injectors, f.kind, 'fault');
    let fault: InjectedFault;
    try {
      fault = await impl.inject(ctx, f.params, f.target);
    } catch (err) {
      throw new HarnessError('INJECTION_FAILED', `${f.kind} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const at = clock.now();
    tInjectMs ??= at;
    const entry: ActiveFault = { fault, kind: f.kind, atMs: at };
    faults.push(entry);
    // A fault with its own duration (a pause, a timed latency toxic) is active until it ends.
    void fault.ended?.then(() => {
      entry.endedAtMs = clock.now();
    });
    stack.defer(async () => {
      emit('revert', `reverting: ${fault.description}`);
      await fault[Symbol.asyncDispose]();
    });
    emit('inject', fault.description, { kind: f.kind, ...fault.details });
  }
  if (tInjectMs === undefined) {
    throw new HarnessError('INTERNAL', 'an iteration without faults reached the inject phase');
  }
  return { injectStartMs, tInjectMs, faults };
}
