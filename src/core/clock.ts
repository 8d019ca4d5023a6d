import type { Clock } from './types.js';

/** Monotonic ms since creation; ISO times derived from one wall-clock reading at the origin. */
export function createClock(): Clock {
  const originPerf = performance.now();
  const originEpoch = Date.now();
  return {
    now: () => performance.now() - originPerf,
    isoAt: (ms) => new Date(originEpoch + ms).toISOString(),
  };
}
