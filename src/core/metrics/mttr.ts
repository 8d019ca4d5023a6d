import type { MttrResult } from '../report-model.js';

/** MTTR over the iterations that recovered; null when none did. Never-recovered iterations are not zeros. */
export function computeMttr(rtos: readonly (number | null)[]): MttrResult | null {
  const values = rtos.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const n = values.length;
  if (n === 0) return null;
  const mid = n >>> 1;
  return {
    n,
    meanMs: values.reduce((sum, v) => sum + v, 0) / n,
    medianMs: n % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2,
    minMs: values[0]!,
    maxMs: values[n - 1]!,
  };
}
