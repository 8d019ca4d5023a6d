import { describe, expect, it } from 'vitest';
import type { RunReport } from '../core/report-model.js';
import { errorReport, passReport, splitBrainReport } from './fixtures/run-reports.js';
import { renderJson } from './json.js';

describe('renderJson', () => {
  it.each([
    ['pass', passReport()],
    ['split brain', splitBrainReport()],
    ['error', errorReport()],
  ])('round-trips the %s report', (_, report) => {
    expect(JSON.parse(renderJson(report))).toEqual(report);
  });

  it('is indented with two spaces and ends with a newline', () => {
    const text = renderJson(passReport());
    expect(text.split('\n')[1]).toBe('  "schemaVersion": 1,');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('puts what ran and the verdict first', () => {
    const keys = Object.keys(JSON.parse(renderJson(errorReport())));
    expect(keys.slice(0, 7)).toEqual([
      'schemaVersion',
      'tool',
      'scenario',
      'environment',
      'verdict',
      'exitCode',
      'error',
    ]);
  });

  it('does not depend on the order the report was built in', () => {
    const report = passReport();
    const shuffled = Object.fromEntries(
      Object.entries(report)
        .reverse()
        .map(([k, v]) => [
          k,
          v && typeof v === 'object' && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v).reverse())
            : v,
        ]),
    ) as unknown as RunReport;
    expect(renderJson(shuffled)).toBe(renderJson(report));
  });
});
