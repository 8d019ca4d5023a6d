// How long a scenario's run should take, from what it declares: only to order a suite that runs
// several at once (longest first), never to judge anything.

import type { LoadedScenario } from '../scenario/load.js';

/**
 * Per iteration: the steady state, the longest fault (its offset plus its declared duration),
 * observe and settle; plus the whole recovery timeout when the scenario expects RTO to fail (a
 * run that never recovers waits it out). Bring-up and recovery times are the stack's, not known.
 */
export function declaredMs(sc: LoadedScenario): number {
  const s = sc.spec;
  const perIteration = sc.iterations.map((it) => {
    const faults = it.faults.map((f) => {
      const d = (f.params as { duration?: unknown } | null)?.duration;
      return f.atMs + (typeof d === 'number' ? d : 0);
    });
    return s.steadyState.duration + Math.max(0, ...faults) + s.observe + s.settle;
  });
  const iterations = s.iterations
    ? perIteration
    : Array.from({ length: s.repeat }, () => perIteration[0] ?? 0);
  const neverRecovers = (s.expect?.failing ?? []).some(
    (f) => (typeof f === 'string' ? f : f.metric) === 'rto',
  );
  return iterations.reduce((a, b) => a + b, 0) + (neverRecovers ? s.recovery.timeout : 0);
}
