// report.json: the machine-readable record. Key order is fixed so two runs diff cleanly.

import type { RunReport } from '../core/report-model.js';

// Declaration order of RunReport: what a reader wants first (what ran, the verdict) comes first.
const TOP_LEVEL_ORDER = [
  'schemaVersion',
  'tool',
  'scenario',
  'environment',
  'verdict',
  'exitCode',
  'expectation',
  'error',
  'startedAt',
  'finishedAt',
  'wallMs',
  'facts',
  'probeIntervalMs',
  'primaryProbe',
  'stableForMs',
  'repeat',
  'mttr',
  'targets',
  'history',
  'iterations',
  'events',
  'definitions',
  'runDir',
] as const satisfies readonly (keyof RunReport)[];

// Compile-time check that the list above names every field of RunReport.
type Missing = Exclude<keyof RunReport, (typeof TOP_LEVEL_ORDER)[number]>;
const everyFieldOrdered: Missing extends never ? true : Missing = true;
void everyFieldOrdered;

/**
 * Clocks and rates carry float noise (3487.5146799999998, 6.300000000000001): three decimals
 * (microseconds of a millisecond figure) for values from 1 up, six significant digits below
 * (ratios such as an error rate of 0.978261).
 */
export function cleanNumber(v: number): number {
  if (Number.isInteger(v) || !Number.isFinite(v)) return v;
  return Math.abs(v) >= 1 ? Math.round(v * 1000) / 1000 : Number(v.toPrecision(6));
}

/** Nested objects get their keys sorted, so key order never depends on how the report was built. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === 'number') return cleanNumber(value);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    out[key] = sortKeys((value as Record<string, unknown>)[key]);
  }
  return out;
}

export function renderJson(report: RunReport): string {
  const ordered: Record<string, unknown> = {};
  const source = report as unknown as Record<string, unknown>;
  for (const key of TOP_LEVEL_ORDER) {
    if (source[key] !== undefined) ordered[key] = sortKeys(source[key]);
  }
  // Fields added to the model later still reach the file, after the known ones.
  for (const key of Object.keys(source).sort()) {
    if (!(key in ordered) && source[key] !== undefined) ordered[key] = sortKeys(source[key]);
  }
  return `${oneLineNumberArrays(JSON.stringify(ordered, null, 2))}\n`;
}

// A JSON string holds no raw newline, so a match spanning lines is always an array of the document.
const NUMBER_ARRAY = /\[\n(?:\s*(?:-?\d[\d.eE+-]*|null),?\n)+\s*\]/g;

/**
 * Arrays of numbers (a timeline's buckets, load averages) on one line each: one line per element
 * would make a few hundred buckets thousands of lines.
 */
function oneLineNumberArrays(text: string): string {
  return text.replace(NUMBER_ARRAY, (block) => block.replace(/\s+/g, ''));
}
