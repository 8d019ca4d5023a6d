import type { MttrResult } from '../report-model.js';
import { median } from './median.js';

/** MTTR over the iterations that recovered; null when none did. Never-recovered iterations are not zeros. */
export function computeMttr(rtos: readonly (number | null)[]): MttrResult | null {
  const values = rtos.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const n = values.length;
  if (n === 0) return null;
  return {
    n,
    meanMs: values.reduce((sum, v) => sum + v, 0) / n,
    medianMs: median(values)!,
    minMs: values[0]!,
    maxMs: values[n - 1]!,
  };
}
