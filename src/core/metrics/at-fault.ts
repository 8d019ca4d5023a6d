import type { AtFault } from '../report-model.js';
import type { OpRecord } from '../types.js';

/** How far back "acknowledged just before the fault" looks. */
export const RECENT_ACK_WINDOW_MS = 100;

/**
 * What a probe had under way when the fault landed. The fault's exact instant is somewhere
 * between the start of injection and t_inject (when the injector returned), so an operation counts
 * as in flight only if it started before injection began and ended after t_inject: it was in
 * flight at that instant, wherever it fell. For a write probe, `present` (the keys read back) says
 * which of those that were acknowledged survived. Shows that a fault such as a SIGTERM really met
 * requests in flight, and what became of them.
 */
export function computeAtFault(
  ops: readonly OpRecord[],
  w: { injectStartMs: number; tInjectMs: number },
  present?: ReadonlySet<string>,
): AtFault {
  let inFlight = 0;
  let ok = 0;
  let failed = 0;
  let unknown = 0;
  let okLost = 0;
  let recentAcks = 0;
  let recentAcksLost = 0;
  const isLost = (op: OpRecord) => present !== undefined && op.key !== undefined && !present.has(op.key);
  for (const op of ops) {
    if (op.startMs < w.injectStartMs && op.endMs > w.tInjectMs) {
      inFlight++;
      if (op.outcome === 'ok') {
        ok++;
        if (isLost(op)) okLost++;
      } else if (op.outcome === 'fail') failed++;
      else unknown++;
    }
    if (
      op.outcome === 'ok' &&
      op.endMs <= w.injectStartMs &&
      op.endMs > w.injectStartMs - RECENT_ACK_WINDOW_MS
    ) {
      recentAcks++;
      if (isLost(op)) recentAcksLost++;
    }
  }
  return {
    injectStartMs: w.injectStartMs,
    tInjectMs: w.tInjectMs,
    inFlight,
    ok,
    failed,
    unknown,
    recentWindowMs: RECENT_ACK_WINDOW_MS,
    recentAcks,
    ...(present !== undefined ? { okLost, recentAcksLost } : {}),
  };
}
