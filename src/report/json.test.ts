import { describe, expect, it } from 'vitest';
import type { RunReport } from '../core/report-model.js';
import { errorReport, passReport, splitBrainReport } from './fixtures/run-reports.js';
import { cleanNumber, renderJson } from './json.js';

describe('renderJson', () => {
  it.each([
    ['pass', passReport()],
    ['split brain', splitBrainReport()],
    ['error', errorReport()],
  ])('round-trips the %s report', (_, report) => {
    const back = JSON.parse(renderJson(report));
    // Equal but for float noise: every number within a millionth of the original.
    const walk = (a: unknown, b: unknown, path: string): void => {
      if (typeof a === 'number') {
        expect(Math.abs((b as number) - a), path).toBeLessThanOrEqual(Math.max(5e-4, Math.abs(a) * 1e-6));
      } else if (a !== null && typeof a === 'object') {
        expect(Object.keys(b as object).sort(), path).toEqual(
          Object.keys(a)
            .filter((k) => (a as Record<string, unknown>)[k] !== undefined)
            .sort(),
        );
        for (const [k, v] of Object.entries(a))
          if (v !== undefined) walk(v, (b as Record<string, unknown>)[k], `${path}.${k}`);
      } else expect(b, path).toEqual(a);
    };
    walk(report, back, '');
  });

  it('drops float noise: three decimals from 1 up, six significant digits below', () => {
    expect(
      [3487.5146799999998, 6.300000000000001, 0.9782608695652174, 50.02195786516372, 42, 0].map(cleanNumber),
    ).toEqual([3487.515, 6.3, 0.978261, 50.022, 42, 0]);
  });

  it('is indented with two spaces and ends with a newline', () => {
    const text = renderJson(passReport());
    expect(text.split('\n')[1]).toBe('  "schemaVersion": 1,');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('writes an array of numbers on one line, and every other array one element a line', () => {
    const report = passReport();
    report.scenario.description = 'a string "[\n1,\n2\n]" that only looks like an array';
    const text = renderJson(report);
    expect(text).toContain('"loadAverageStart": [0.5,0.4,0.3],');
    expect(text).toContain('"nodes": [\n        "node1",\n');
    expect(JSON.parse(text).scenario.description).toBe(report.scenario.description);
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
