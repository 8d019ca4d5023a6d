import type { MetricUnit } from './report-model.js';

/** A target's value as its TargetResult.measuredText has it; the reports format from the numbers. */
export function valueText(unit: MetricUnit, v: number | null): string {
  if (v === null) return 'not measured';
  if (unit === 'ms') return `${Math.round(v)} ms`;
  if (unit === 'ratio') return `${(v * 100).toFixed(2)}%`;
  return String(Math.round(v * 1000) / 1000);
}
